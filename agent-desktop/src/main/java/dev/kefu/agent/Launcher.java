package dev.kefu.agent;

import dev.kefu.agent.settings.Language;
import javafx.application.Application;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code java -jar kefu-agent.jar [options]}: parses the command line and starts the JavaFX app.
 * Not an {@code Application} itself, so the app runs with JavaFX on the class path (a shaded jar).
 */
@Command(name = "kefu-agent", mixinStandardHelpOptions = true, versionProvider = Launcher.Version.class,
        description = "Kefu agent desktop app: answer visitors of your sites, online or off.")
public final class Launcher implements Callable<Integer> {
    @Option(names = "--server", paramLabel = "URL", description = "Relay address, e.g. http://127.0.0.1:8080 (the WebSocket URL is derived).")
    String server;

    @Option(names = "--user", paramLabel = "NAME", description = "Agent username.")
    String user;

    @Option(names = "--password-stdin", description = "Read the password from the first line of standard input and log in without the form.")
    boolean passwordStdin;

    @Option(names = "--data", paramLabel = "DIR", description = "Cache and settings folder (default: ${DEFAULT-VALUE}).")
    Path data = DataFolder.defaultDir();

    @Option(names = "--lang", paramLabel = "zh|en|system", description = "Interface language (kept for later runs).")
    String lang;

    @Option(names = "--startup-report", hidden = true, description = "Print start-up time and heap use, then quit.")
    boolean startupReport;

    public static void main(String[] args) {
        int code = new CommandLine(new Launcher()).execute(args);
        System.exit(code); // AWT (tray) and Tyrus may leave non-daemon threads behind
    }

    @Override
    public Integer call() throws IOException {
        Language language = null;
        if (lang != null) {
            language = Language.parse(lang);
            if (language == null) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--lang must be zh, en or system");
            }
        }
        String password = null;
        if (passwordStdin) {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            password = in.readLine();
            if (password == null || password.isEmpty()) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--password-stdin: no password on standard input");
            }
        }
        KefuAgentApp.configure(new AgentOptions(server, user, password, data, language, startupReport));
        Application.launch(KefuAgentApp.class);
        return 0;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Launcher.class.getPackage().getImplementationVersion();
            return new String[]{"kefu-agent " + (v == null ? "dev" : v)};
        }
    }
}

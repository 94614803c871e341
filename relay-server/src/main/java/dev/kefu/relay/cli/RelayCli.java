package dev.kefu.relay.cli;

import dev.kefu.relay.RelayServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;

/**
 * {@code java -jar kefu-relay.jar}: run the relay and administer its data folder.
 * Every option can also come from the environment ({@code --port} from {@code KEFU_PORT},
 * {@code --data} from {@code KEFU_DATA}, ...) or from a properties file given with
 * {@code --config FILE} or {@code KEFU_CONFIG} ({@code port=8080}, {@code data=/var/lib/kefu}, ...).
 * Flags win over the environment, which wins over the file.
 */
@Command(name = "kefu-relay", mixinStandardHelpOptions = true, versionProvider = RelayCli.Version.class,
        description = "Kefu relay: live-chat customer service server.",
        subcommands = {ServeCommand.class, SiteCommand.class, AgentCommand.class, BackupCommand.class, RestoreCommand.class,
                BenchCommand.class, CommandLine.HelpCommand.class})
public final class RelayCli {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (for tests). */
    public static int run(String... args) {
        Properties file;
        try {
            file = loadConfig(args);
        } catch (IOException e) {
            System.err.println("kefu-relay: cannot read the config file: " + e.getMessage());
            return 2;
        }
        CommandLine cli = new CommandLine(new RelayCli());
        cli.setDefaultValueProvider(new Defaults(file));
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        return cli.execute(args);
    }

    private static Properties loadConfig(String[] args) throws IOException {
        String path = System.getenv("KEFU_CONFIG");
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                path = args[i + 1];
            } else if (args[i].startsWith("--config=")) {
                path = args[i].substring("--config=".length());
            }
        }
        Properties p = new Properties();
        if (path != null) {
            try (Reader r = Files.newBufferedReader(Path.of(path), StandardCharsets.UTF_8)) {
                p.load(r);
            }
        }
        return p;
    }

    /** Option defaults from {@code KEFU_<NAME>} environment variables, then the config file. */
    static final class Defaults implements CommandLine.IDefaultValueProvider {
        private final Properties file;

        Defaults(Properties file) {
            this.file = file;
        }

        @Override
        public String defaultValue(CommandLine.Model.ArgSpec arg) {
            if (!(arg instanceof CommandLine.Model.OptionSpec opt) || !opt.longestName().startsWith("--")) {
                return null;
            }
            String name = opt.longestName().substring(2);
            if (name.equals("help") || name.equals("version") || name.equals("config")) {
                return null;
            }
            // Only the server's settings and the data folder come from the environment or the file:
            // an admin command's arguments (a site key, --admin...) must be typed, never inherited.
            boolean serveOption = opt.command() != null && opt.command().userObject() instanceof ServeCommand;
            if (!name.equals("data") && !serveOption) {
                return null;
            }
            String env = System.getenv("KEFU_" + name.toUpperCase(Locale.ROOT).replace('-', '_'));
            if (env != null) {
                return env;
            }
            return file.getProperty(name);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"kefu-relay " + RelayServer.version(), "protocol 1",
                    "Java " + System.getProperty("java.version")};
        }
    }
}

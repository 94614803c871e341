package dev.kefu.relay.cli;

import dev.kefu.relay.auth.PasswordHasher;
import dev.kefu.relay.store.AccountStore;
import dev.kefu.relay.store.AgentRecord;
import dev.kefu.relay.store.Ids;
import dev.kefu.relay.store.SqliteDatabase;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

@Command(name = "agent", mixinStandardHelpOptions = true, versionProvider = RelayCli.Version.class,
        description = "Manage support agents.",
        subcommands = {AgentCommand.Add.class, AgentCommand.ListAgents.class, AgentCommand.Passwd.class})
final class AgentCommand {
    private static final Pattern USERNAME = Pattern.compile("[\\p{L}\\p{N}._@-]{1,64}");
    static final int MIN_PASSWORD = 8;

    @Command(name = "add", mixinStandardHelpOptions = true, versionProvider = RelayCli.Version.class,
            description = "Add an agent; the password is read as one line from standard input.")
    static final class Add implements Callable<Integer> {
        @Mixin
        DataOption data;

        @Parameters(index = "0", paramLabel = "USERNAME")
        String username;

        @Option(names = "--password-stdin", required = true, description = "Read the password from standard input.")
        boolean passwordStdin;

        @Option(names = "--display", paramLabel = "NAME", description = "Name shown to visitors.")
        String display;

        @Option(names = "--admin", description = "May administer the relay.")
        boolean admin;

        @Option(names = "--site", paramLabel = "KEY", description = "Serve only this site (repeatable; none = every site).")
        List<String> sites;

        @Override
        public Integer call() {
            if (!USERNAME.matcher(username).matches()) {
                System.err.println("agent add: username must be 1-64 letters, digits, '.', '_', '@' or '-'");
                return 2;
            }
            String password = readPassword();
            if (password == null) {
                return 2;
            }
            try (SqliteDatabase db = SqliteDatabase.open(data.data)) {
                AgentRecord a = new AgentRecord(Ids.newId("a"), username, display, new PasswordHasher().hash(password),
                        admin, false, sites == null || sites.isEmpty() ? null : List.copyOf(sites),
                        System.currentTimeMillis());
                if (!new AccountStore(db).addAgent(a)) {
                    System.err.println("agent add: username '" + username + "' is taken");
                    return 1;
                }
                System.out.println("agent added: " + username + " (id " + a.id() + ")");
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = RelayCli.Version.class,
            description = "List agents.")
    static final class ListAgents implements Callable<Integer> {
        @Mixin
        DataOption data;

        @Override
        public Integer call() {
            try (SqliteDatabase db = SqliteDatabase.open(data.data)) {
                System.out.printf("%-20s %-24s %-24s %-6s %-8s %s%n", "ID", "USERNAME", "DISPLAY", "ADMIN", "STATE", "SITES");
                for (AgentRecord a : new AccountStore(db).agents()) {
                    System.out.printf("%-20s %-24s %-24s %-6s %-8s %s%n", a.id(), a.username(),
                            a.displayName() == null ? "" : a.displayName(), a.admin() ? "yes" : "no",
                            a.disabled() ? "disabled" : "active", a.sites() == null ? "(all)" : String.join(",", a.sites()));
                }
            }
            return 0;
        }
    }

    @Command(name = "passwd", mixinStandardHelpOptions = true, versionProvider = RelayCli.Version.class,
            description = "Set an agent's password, read as one line from standard input.")
    static final class Passwd implements Callable<Integer> {
        @Mixin
        DataOption data;

        @Parameters(index = "0", paramLabel = "USERNAME")
        String username;

        @Option(names = "--password-stdin", required = true, description = "Read the password from standard input.")
        boolean passwordStdin;

        @Override
        public Integer call() {
            String password = readPassword();
            if (password == null) {
                return 2;
            }
            try (SqliteDatabase db = SqliteDatabase.open(data.data)) {
                if (!new AccountStore(db).setPasswordHash(username, new PasswordHasher().hash(password))) {
                    System.err.println("agent passwd: no agent '" + username + "'");
                    return 1;
                }
            }
            System.out.println("password changed: " + username);
            return 0;
        }
    }

    /** One line from standard input, or null (with a message) if absent or too short. */
    static String readPassword() {
        try {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (line == null || line.length() < MIN_PASSWORD) {
                System.err.println("a password of at least " + MIN_PASSWORD + " characters is expected on standard input");
                return null;
            }
            return line;
        } catch (IOException e) {
            System.err.println("cannot read the password: " + e.getMessage());
            return null;
        }
    }
}

package dev.kefu.relay.cli;

import dev.kefu.relay.store.AccountStore;
import dev.kefu.relay.store.Ids;
import dev.kefu.relay.store.SiteRecord;
import dev.kefu.relay.store.SqliteDatabase;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

@Command(name = "site", mixinStandardHelpOptions = true, versionProvider = RelayCli.Version.class,
        description = "Manage the websites the widget runs on.",
        subcommands = {SiteCommand.Add.class, SiteCommand.ListSites.class, SiteCommand.Set.class})
final class SiteCommand {
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    @Command(name = "add", mixinStandardHelpOptions = true, versionProvider = RelayCli.Version.class,
            description = "Add a site. Prints the secret when it was generated.")
    static final class Add implements Callable<Integer> {
        @Mixin
        DataOption data;

        @Option(names = "--key", required = true, description = "Public site key used in the widget tag (letters, digits, - and _).")
        String key;

        @Option(names = "--secret", description = "Secret for signing visitor identities (userHash); generated if absent.")
        String secret;

        @Option(names = "--name", description = "Display name.")
        String name;

        @Option(names = "--origin", paramLabel = "URL", description = "Allowed origin, e.g. https://shop.example.com (repeatable; none = any).")
        List<String> origins = new ArrayList<>();

        @Override
        public Integer call() {
            if (!KEY.matcher(key).matches()) {
                System.err.println("site add: --key must be 1-64 letters, digits, '-' or '_'");
                return 2;
            }
            List<String> normalised = new ArrayList<>();
            for (String o : origins) {
                String n = normaliseOrigin(o);
                if (n == null) {
                    System.err.println("site add: not an origin (scheme://host[:port]): " + o);
                    return 2;
                }
                normalised.add(n);
            }
            boolean generated = secret == null;
            String s = generated ? Ids.random(40) : secret;
            try (SqliteDatabase db = SqliteDatabase.open(data.data)) {
                if (!new AccountStore(db).addSite(new SiteRecord(key, s, name, normalised, System.currentTimeMillis()))) {
                    System.err.println("site add: a site with key '" + key + "' exists already");
                    return 1;
                }
            }
            System.out.println("site added: " + key);
            if (generated) {
                System.out.println("secret: " + s);
            }
            return 0;
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true, versionProvider = RelayCli.Version.class,
            description = "Change a site's desk settings; options left out keep their value. A running relay "
                    + "picks the change up within seconds.")
    static final class Set implements Callable<Integer> {
        @Mixin
        DataOption data;

        @picocli.CommandLine.Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Option(names = "--name")
        String name;

        @Option(names = "--welcome", description = "System message on each new conversation (\"\" = none).")
        String welcome;

        @Option(names = "--assignment", description = "manual, round_robin or least_busy.")
        String assignment;

        @Option(names = "--typing-preview", arity = "1", description = "true: agents see visitors' drafts as typed.")
        Boolean typingPreview;

        @Option(names = "--business-hours", paramLabel = "JSON",
                description = "e.g. {\"tz\":\"Asia/Shanghai\",\"week\":{\"mon\":[\"09:00-18:00\"]}}; \"\" = always open.")
        String businessHours;

        @Option(names = "--auto-close-sec", description = "Close conversations idle this long (0 = never).")
        Integer autoCloseSec;

        @Override
        public Integer call() {
            if (assignment != null && !SiteRecord.ASSIGNMENT_MODES.contains(assignment)) {
                System.err.println("site set: --assignment is one of " + SiteRecord.ASSIGNMENT_MODES);
                return 2;
            }
            if (businessHours != null && !businessHours.isBlank()) {
                try {
                    dev.kefu.relay.queue.BusinessHours.parse(businessHours);
                } catch (IllegalArgumentException e) {
                    System.err.println("site set: " + e.getMessage());
                    return 2;
                }
            }
            if (autoCloseSec != null && autoCloseSec < 0) {
                System.err.println("site set: --auto-close-sec is 0 or more");
                return 2;
            }
            try (SqliteDatabase db = SqliteDatabase.open(data.data)) {
                AccountStore accounts = new AccountStore(db);
                SiteRecord s = accounts.site(key).orElse(null);
                if (s == null) {
                    System.err.println("site set: no site '" + key + "'");
                    return 1;
                }
                accounts.updateSite(new SiteRecord(s.key(), s.secret(), name != null ? name : s.name(), s.origins(),
                        s.createdAt(), welcome == null ? s.welcome() : welcome.isBlank() ? null : welcome,
                        assignment != null ? assignment : s.assignment(),
                        typingPreview != null ? typingPreview : s.typingPreview(),
                        businessHours == null ? s.businessHoursJson() : businessHours.isBlank() ? null : businessHours,
                        autoCloseSec != null ? autoCloseSec : s.autoCloseSec()));
            }
            System.out.println("site updated: " + key);
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = RelayCli.Version.class,
            description = "List sites (secrets are not shown).")
    static final class ListSites implements Callable<Integer> {
        @Mixin
        DataOption data;

        @Override
        public Integer call() {
            try (SqliteDatabase db = SqliteDatabase.open(data.data)) {
                List<SiteRecord> sites = new AccountStore(db).sites();
                System.out.printf("%-24s %-24s %-12s %s%n", "KEY", "NAME", "ASSIGNMENT", "ORIGINS");
                for (SiteRecord s : sites) {
                    System.out.printf("%-24s %-24s %-12s %s%n", s.key(), s.name() == null ? "" : s.name(),
                            s.assignment(), s.origins().isEmpty() ? "(any)" : String.join(" ", s.origins()));
                }
            }
            return 0;
        }
    }

    /**
     * {@code HTTPS://Shop.example.com:443/} -> {@code https://shop.example.com}, the form browsers send
     * in {@code Origin} (default ports left out); null if not an http(s) origin.
     */
    static String normaliseOrigin(String s) {
        try {
            URI u = URI.create(s.trim());
            String scheme = u.getScheme() == null ? null : u.getScheme().toLowerCase(java.util.Locale.ROOT);
            if (u.getHost() == null || !("http".equals(scheme) || "https".equals(scheme))) {
                return null;
            }
            int port = u.getPort();
            boolean defaultPort = port == -1 || port == ("https".equals(scheme) ? 443 : 80);
            return scheme + "://" + u.getHost().toLowerCase(java.util.Locale.ROOT) + (defaultPort ? "" : ":" + port);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}

package dev.kefu.relay.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.Role;
import dev.kefu.relay.auth.PasswordHasher;
import dev.kefu.relay.store.AccountStore;
import dev.kefu.relay.store.AgentRecord;
import dev.kefu.relay.store.SiteRecord;
import dev.kefu.relay.store.SqliteDatabase;
import dev.kefu.relay.testing.CliRun;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayProcess;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The admin CLI run in-process ({@code RelayCli.run}), except where {@code serve} must really start. */
class RelayCliTest {
    private static final String PASSWORD = "old-password-1";

    @TempDir
    Path tmp;
    private Path data;
    private String d;

    @BeforeEach
    void dataFolder() {
        data = tmp.resolve("data");
        d = data.toString();
    }

    // ---- site ----

    @Test
    void siteAdd_withoutSecret_printsTheGeneratedSecret() {
        CliRun r = CliRun.run("site", "add", "--key", "k", "--data", d).expectExit(0);

        assertThat(r.out()).contains("site added: k");
        Matcher secret = Pattern.compile("secret: (\\S+)").matcher(r.out());
        assertThat(secret.find()).as(r.out()).isTrue();
        assertThat(secret.group(1)).hasSizeGreaterThanOrEqualTo(32);
        assertThat(site("k").map(SiteRecord::secret)).contains(secret.group(1));
    }

    @Test
    void siteAdd_withSecret_storesItAndDoesNotPrintIt() {
        CliRun r = CliRun.run("site", "add", "--key", "k", "--secret", "given-secret-value", "--name", "Shop 商店",
                "--data", d).expectExit(0);

        assertThat(r.out()).doesNotContain("given-secret-value").doesNotContain("secret:");
        assertThat(site("k")).hasValueSatisfying(s -> {
            assertThat(s.secret()).isEqualTo("given-secret-value");
            assertThat(s.name()).isEqualTo("Shop 商店");
        });
    }

    @Test
    void siteAdd_existingKey_exitsOneAndKeepsTheFirstSite() {
        CliRun.run("site", "add", "--key", "k", "--secret", "first-secret", "--data", d).expectExit(0);

        CliRun r = CliRun.run("site", "add", "--key", "k", "--secret", "second-secret", "--data", d).expectExit(1);

        assertThat(r.err()).contains("exists already");
        assertThat(site("k").map(SiteRecord::secret)).contains("first-secret");
    }

    @ParameterizedTest
    @ValueSource(strings = {"has space", "a/b", "ключ", "x23456789012345678901234567890123456789012345678901234567890abcde"})
    void siteAdd_badKey_exitsTwo(String key) {
        CliRun r = CliRun.run("site", "add", "--key", key, "--data", d).expectExit(2);

        assertThat(r.err()).contains("--key");
    }

    @ParameterizedTest
    @CsvSource({
            "https://Shop.Example.com/,     https://shop.example.com",
            "http://LOCALHOST:8080,         http://localhost:8080",
            "'  https://shop.example.com ', https://shop.example.com",
            "https://shop.example.com/cart, https://shop.example.com",
    })
    void siteAdd_origin_isStoredNormalised(String given, String stored) {
        CliRun.run("site", "add", "--key", "k", "--origin", given, "--data", d).expectExit(0);

        assertThat(site("k").map(SiteRecord::origins)).contains(List.of(stored));
    }

    @Test
    void siteAdd_repeatedOrigin_storesEach() {
        CliRun.run("site", "add", "--key", "k", "--origin", "https://a.example", "--origin", "https://B.example",
                "--data", d).expectExit(0);

        assertThat(site("k").map(SiteRecord::origins)).contains(List.of("https://a.example", "https://b.example"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://shop.example.com", "shop.example.com", "https://", "not an origin", "javascript:alert(1)"})
    void siteAdd_badOrigin_exitsTwoAndStoresNothing(String origin) {
        CliRun r = CliRun.run("site", "add", "--key", "k", "--origin", origin, "--data", d).expectExit(2);

        assertThat(r.err()).contains("not an origin");
        assertThat(site("k")).isEmpty();
    }

    @Test
    void siteList_showsEveryKeyWithNameAndOrigins() {
        CliRun.run("site", "add", "--key", "shop", "--name", "Shop", "--origin", "https://shop.example", "--data", d)
                .expectExit(0);
        CliRun.run("site", "add", "--key", "blog", "--data", d).expectExit(0);

        CliRun r = CliRun.run("site", "list", "--data", d).expectExit(0);

        assertThat(r.out().lines()).anySatisfy(l -> assertThat(l).startsWith("shop").contains("Shop", "https://shop.example"));
        assertThat(r.out().lines()).anySatisfy(l -> assertThat(l).startsWith("blog").contains("(any)"));
        assertThat(r.out()).doesNotContain("secret");
    }

    @Test
    void siteSet_changesDeskSettings_andKeepsTheRest() {
        CliRun.run("site", "add", "--key", "shop", "--name", "Shop", "--data", d).expectExit(0);

        CliRun.run("site", "set", "shop", "--assignment", "round_robin", "--welcome", "欢迎！", "--typing-preview",
                "false", "--auto-close-sec", "600", "--business-hours",
                "{\"tz\":\"Asia/Shanghai\",\"week\":{\"mon\":[\"09:00-18:00\"]}}", "--data", d).expectExit(0);

        var s = site("shop").orElseThrow();
        assertThat(s.assignment()).isEqualTo("round_robin");
        assertThat(s.welcome()).isEqualTo("欢迎！");
        assertThat(s.typingPreview()).isFalse();
        assertThat(s.autoCloseSec()).isEqualTo(600);
        assertThat(s.businessHoursJson()).contains("Asia/Shanghai");
        assertThat(s.name()).isEqualTo("Shop");
        CliRun.run("site", "set", "shop", "--assignment", "random", "--data", d).expectExit(2);
        CliRun.run("site", "set", "shop", "--business-hours", "{\"week\":{\"mon\":[\"9-5\"]}}", "--data", d).expectExit(2);
        CliRun.run("site", "set", "nope", "--welcome", "x", "--data", d).expectExit(1);
    }

    // ---- agent ----

    @Test
    void agentAdd_withPasswordOnStdin_isListed() {
        CliRun r = CliRun.withInput(PASSWORD + "\n", "agent", "add", "bob", "--password-stdin", "--display", "Bob",
                "--admin", "--data", d).expectExit(0);
        assertThat(r.out()).contains("agent added: bob");

        CliRun list = CliRun.run("agent", "list", "--data", d).expectExit(0);

        assertThat(list.out().lines()).anySatisfy(l -> assertThat(l.split("\\s+"))
                .contains("bob", "Bob", "yes", "active", "(all)"));
        assertThat(agent("bob")).hasValueSatisfying(a -> {
            assertThat(a.admin()).isTrue();
            assertThat(new PasswordHasher().verify(PASSWORD, a.passwordHash())).isTrue();
        });
    }

    @Test
    void agentAdd_limitedToSites_isListedWithThem() {
        CliRun.withInput(PASSWORD, "agent", "add", "carol", "--password-stdin", "--site", "shop", "--site", "blog",
                "--data", d).expectExit(0);

        CliRun list = CliRun.run("agent", "list", "--data", d).expectExit(0);

        assertThat(list.out().lines()).anySatisfy(l -> assertThat(l).contains("carol", "no", "shop,blog"));
        assertThat(agent("carol").map(AgentRecord::sites)).contains(List.of("shop", "blog"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "\n", "short77\n"})
    void agentAdd_missingOrTooShortPassword_exitsTwoAndAddsNobody(String stdin) {
        CliRun r = CliRun.withInput(stdin, "agent", "add", "bob", "--password-stdin", "--data", d).expectExit(2);

        assertThat(r.err()).contains("at least " + AgentCommand.MIN_PASSWORD + " characters");
        assertThat(agent("bob")).isEmpty();
    }

    @Test
    void agentAdd_takenUsername_exitsOne() {
        CliRun.withInput(PASSWORD, "agent", "add", "bob", "--password-stdin", "--data", d).expectExit(0);

        CliRun r = CliRun.withInput("another-password", "agent", "add", "bob", "--password-stdin", "--data", d).expectExit(1);

        assertThat(r.err()).contains("taken");
    }

    @Test
    void agentAdd_badUsername_exitsTwo() {
        CliRun r = CliRun.withInput(PASSWORD, "agent", "add", "bob smith", "--password-stdin", "--data", d).expectExit(2);

        assertThat(r.err()).contains("username");
    }

    @Test
    void agentAdd_withoutPasswordStdinFlag_exitsTwo() {
        CliRun r = CliRun.withInput(PASSWORD, "agent", "add", "bob", "--data", d).expectExit(2);

        assertThat(r.err()).contains("--password-stdin");
    }

    @Test
    void agentPasswd_replacesThePassword_oldOneNoLongerVerifies() {
        CliRun.withInput(PASSWORD + "\n", "agent", "add", "bob", "--password-stdin", "--data", d).expectExit(0);

        CliRun r = CliRun.withInput("new-password-2\n", "agent", "passwd", "bob", "--password-stdin", "--data", d)
                .expectExit(0);

        assertThat(r.out()).contains("password changed: bob");
        String hash = agent("bob").orElseThrow().passwordHash();
        PasswordHasher hasher = new PasswordHasher();
        assertThat(hasher.verify("new-password-2", hash)).isTrue();
        assertThat(hasher.verify(PASSWORD, hash)).isFalse();
    }

    @Test
    void agentPasswd_unknownAgent_exitsOne() {
        CliRun r = CliRun.withInput("new-password-2", "agent", "passwd", "nobody", "--password-stdin", "--data", d)
                .expectExit(1);

        assertThat(r.err()).contains("no agent 'nobody'");
    }

    @Test
    void agentPasswd_tooShortPassword_exitsTwoAndKeepsTheOldOne() {
        CliRun.withInput(PASSWORD, "agent", "add", "bob", "--password-stdin", "--data", d).expectExit(0);

        CliRun.withInput("short", "agent", "passwd", "bob", "--password-stdin", "--data", d).expectExit(2);

        assertThat(new PasswordHasher().verify(PASSWORD, agent("bob").orElseThrow().passwordHash())).isTrue();
    }

    // ---- help and version ----

    @ParameterizedTest
    @ValueSource(strings = {"", "serve", "site", "site add", "site list", "agent", "agent add", "agent list", "agent passwd",
            "backup", "restore"})
    void help_printsTheUsageOfThatCommand(String command) {
        CliRun r = CliRun.run(args(command, "--help")).expectExit(0);

        assertThat(r.out()).contains(("Usage: kefu-relay " + command).strip());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "serve", "site", "site add", "site list", "agent", "agent add", "agent list", "agent passwd",
            "backup", "restore"})
    void version_printsRelayAndProtocolVersions(String command) {
        CliRun r = CliRun.run(args(command, "--version")).expectExit(0);

        assertThat(r.out()).contains("kefu-relay ", "protocol 1");
    }

    @Test
    void backupAndRestoreHelp_sayWhatABackupIsAndWhenRestoreRefuses() {
        assertThat(CliRun.run("backup", "--help").expectExit(0).out().replaceAll("\\s+", " "))
                .contains("--to=PATH", "--data=DIR", "kefu.db", "integrity_check", "files/", "restore --from PATH");
        assertThat(CliRun.run("restore", "--help").expectExit(0).out().replaceAll("\\s+", " "))
                .contains("--from=PATH", "--data=DIR", "Stop the relay first", "new epoch", "before-restore-TIME",
                        "nothing was changed");
        assertThat(CliRun.run("--help").expectExit(0).out()).contains("backup", "restore");
    }

    @Test
    void helpCommand_printsTheUsageOfTheNamedCommand() {
        CliRun r = CliRun.run("help", "site").expectExit(0);

        assertThat(r.out()).contains("Usage: kefu-relay site", "add", "list");
    }

    @Test
    void unknownCommand_exitsTwoAndNamesIt() {
        CliRun r = CliRun.run("frobnicate").expectExit(2);

        assertThat(r.err()).contains("Unmatched argument", "'frobnicate'");
    }

    // ---- defaults from the config file and the environment ----

    @Test
    void configFile_givesServeItsDefaults() {
        assumeNoKefuEnvironment();
        Properties file = new Properties();
        file.setProperty("port", "0");
        file.setProperty("host", "127.0.0.1");
        file.setProperty("data", d);
        file.setProperty("heartbeat-sec", "7");
        file.setProperty("rate-burst", "123");

        ServeCommand serve = parseServe(file);

        assertThat(serve.port).isZero();
        assertThat(serve.host).isEqualTo("127.0.0.1");
        assertThat(serve.data.data).isEqualTo(data);
        assertThat(serve.heartbeatSec).isEqualTo(7);
        assertThat(serve.rateBurst).isEqualTo(123);
        assertThat(serve.writeBatch).as("not in the file: the built-in default").isEqualTo(1000);
    }

    @Test
    void trustProxy_isOffByDefault_andOnFromTheConfigFile() {
        assumeNoKefuEnvironment();
        assertThat(parseServe(new Properties()).trustProxy).isFalse();

        Properties file = new Properties();
        file.setProperty("trust-proxy", "true");

        assertThat(parseServe(file).trustProxy).isTrue();
    }

    @Test
    void recallWindow_isTwoMinutesByDefault_andSetByFlag() {
        assumeNoKefuEnvironment();
        assertThat(parseServe(new Properties()).recallWindowSec).isEqualTo(120);

        assertThat(parseServe(new Properties(), "--recall-window-sec", "30").recallWindowSec).isEqualTo(30);
    }

    @Test
    void serveHelp_describesTrustProxy() {
        CliRun r = CliRun.run("serve", "--help").expectExit(0);

        assertThat(r.out()).contains("--trust-proxy", "X-Forwarded-For");
    }

    @Test
    void flag_winsOverTheConfigFile() {
        assumeNoKefuEnvironment();
        Properties file = new Properties();
        file.setProperty("port", "0");

        ServeCommand serve = parseServe(file, "--port", "9099");

        assertThat(serve.port).isEqualTo(9099);
    }

    @Test
    void missingConfigFile_exitsTwo() {
        CliRun r = CliRun.run("serve", "--config", tmp.resolve("absent.properties").toString()).expectExit(2);

        assertThat(r.err()).contains("cannot read the config file");
    }

    @Test
    void serve_withConfigFile_listensWhereTheFileSays() throws Exception {
        Path config = writeConfig("port=0", "host=127.0.0.1", "data=" + escaped(data));

        try (RelayProcess relay = RelayProcess.start(List.of("serve", "--config", config.toString()), Map.of(),
                tmp.resolve("serve.log"))) {
            assertThat(relay.port()).isNotEqualTo(8080).isPositive();
            assertThat(Path.of(relay.dataShown())).isEqualTo(data.toAbsolutePath().normalize());
            assertThat(httpGet(relay.http("/health")).statusCode()).isEqualTo(200);
        }
        assertThat(data.resolve("kefu.db")).exists();
    }

    @Test
    void serve_environment_winsOverTheConfigFileItNames() throws Exception {
        Path fromFile = tmp.resolve("file-data");
        Path fromEnv = tmp.resolve("env-data");
        Path config = writeConfig("port=0", "host=127.0.0.1", "data=" + escaped(fromFile));

        try (RelayProcess relay = RelayProcess.start(List.of("serve"),
                Map.of("KEFU_CONFIG", config.toString(), "KEFU_DATA", fromEnv.toString()), tmp.resolve("serve.log"))) {
            assertThat(relay.port()).as("port=0 from the file named by KEFU_CONFIG").isNotEqualTo(8080);
            assertThat(Path.of(relay.dataShown())).isEqualTo(fromEnv.toAbsolutePath().normalize());
        }
        assertThat(fromFile).doesNotExist();
    }

    @Test
    void serve_flag_winsOverTheEnvironment() throws Exception {
        Path fromEnv = tmp.resolve("env-data");

        try (RelayProcess relay = RelayProcess.start(List.of("serve", "--data", d),
                Map.of("KEFU_PORT", "0", "KEFU_HOST", "127.0.0.1", "KEFU_DATA", fromEnv.toString()),
                tmp.resolve("serve.log"))) {
            assertThat(relay.port()).as("KEFU_PORT=0").isNotEqualTo(8080);
            assertThat(Path.of(relay.dataShown())).isEqualTo(data.toAbsolutePath().normalize());
        }
        assertThat(fromEnv).doesNotExist();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--trust-proxy |",
            "              | KEFU_TRUST_PROXY",
    })
    void serve_trustProxy_tracksTheForwardedAddress(String flag, String env) throws Exception {
        CliRun.run("site", "add", "--key", "shop", "--data", d).expectExit(0);
        CliRun.withInput(PASSWORD + "\n", "agent", "add", "bob", "--password-stdin", "--data", d).expectExit(0);
        List<String> args = new ArrayList<>(List.of("serve", "--port", "0", "--host", "127.0.0.1", "--data", d));
        if (flag != null) {
            args.add(flag);
        }
        try (RelayProcess relay = RelayProcess.start(args, env == null ? Map.of() : Map.of(env, "true"),
                tmp.resolve("serve.log"))) {
            HttpResponse<String> login = HttpClient.newHttpClient().send(HttpRequest.newBuilder(relay.http("/api/login"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"bob\",\"password\":\"" + PASSWORD + "\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            String token = FrameCodec.parse(login.body()).get("token").asText();
            String vid = RelayFixture.newVisitorId();
            try (WsClient agent = WsClient.connect(relay.ws("/ws/agent"));
                 WsClient visitor = WsClient.connect(relay.ws("/ws/visitor"), Map.of("X-Forwarded-For", "203.0.113.7"))) {
                agent.send(new Frame.Hello(Role.AGENT, null, token, null, Map.of(), null));
                agent.next("welcome");
                visitor.send(RelayFixture.visitorHello(vid, Map.of()));
                visitor.next("welcome");

                JsonNode online = agent.next(f -> "visitor".equals(f.path("type").asText())
                        && vid.equals(f.path("visitor").path("id").asText()), "visitor " + vid);
                assertThat(online.get("visitor").get("ip").asText()).isEqualTo("203.0.113.7");
            }
        }
    }

    // ---- helpers ----

    private Optional<SiteRecord> site(String key) {
        return withAccounts(a -> a.site(key));
    }

    private Optional<AgentRecord> agent(String username) {
        return withAccounts(a -> a.agentByUsername(username));
    }

    private <T> T withAccounts(Function<AccountStore, T> read) {
        try (SqliteDatabase db = SqliteDatabase.open(data)) {
            return read.apply(new AccountStore(db));
        }
    }

    private static String[] args(String command, String flag) {
        List<String> out = new ArrayList<>(command.isEmpty() ? List.of() : List.of(command.split(" ")));
        out.add(flag);
        return out.toArray(String[]::new);
    }

    /** Parses {@code serve ARGS} the way {@link RelayCli#run} wires it, with {@code file} as the config file. */
    private static ServeCommand parseServe(Properties file, String... args) {
        CommandLine cli = new CommandLine(new RelayCli());
        cli.setDefaultValueProvider(new RelayCli.Defaults(file));
        List<String> all = new ArrayList<>(List.of("serve"));
        all.addAll(List.of(args));
        return (ServeCommand) cli.parseArgs(all.toArray(String[]::new)).subcommand().commandSpec().userObject();
    }

    /** Defaults come from KEFU_* variables first; the in-process tests need none set. */
    private static void assumeNoKefuEnvironment() {
        assumeTrue(System.getenv().keySet().stream().noneMatch(k -> k.startsWith("KEFU_")), "KEFU_* variables are set");
    }

    private Path writeConfig(String... lines) throws Exception {
        Path f = tmp.resolve("kefu.properties");
        Files.write(f, List.of(lines), StandardCharsets.UTF_8);
        return f;
    }

    /** A path as a properties value (backslashes of Windows paths escaped). */
    private static String escaped(Path p) {
        return p.toAbsolutePath().toString().replace("\\", "\\\\");
    }

    private static HttpResponse<String> httpGet(URI uri) throws Exception {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()
                .send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
    }
}

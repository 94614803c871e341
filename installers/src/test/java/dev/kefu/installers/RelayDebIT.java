package dev.kefu.installers;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The relay's .deb on a real dpkg, in order: install, run as the unit does, create a site with
 * the admin command, store a message, back it up online, install the next version over it, find
 * the message and the admin's settings again, remove, purge. Needs root, dpkg and runuser; systemd need not be running.
 * Leaves nothing behind: {@link #purgeAndStop()} runs whatever happened.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RelayDebIT {
    private static final String SITE = "installer-test";
    private static final String VISITOR = "v-installer-test-000001";
    private static final String CID = "c-installer-test-000001";
    private static final String BODY = "升级以后还在吗? Still here after the upgrade?";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final Path BACKUPS = Path.of("/var/backups/kefu-installer-test");
    private static final Path BACKUP = BACKUPS.resolve("b1");

    private final Path logs = Env.outputDir("relay-deb");
    private Path firstDeb;
    private InstalledRelay relay;
    private String baseUrl;
    private int port;
    private String conversation;

    @BeforeAll
    void requireMachine() {
        Env.require(Env.isRoot(), "root (dpkg -i)");
        Env.require(Env.onPath("dpkg") && Env.onPath("runuser"), "dpkg and runuser");
        firstDeb = Env.findPackage("kefu-relay_", ".deb").orElse(null);
        Env.require(firstDeb != null, "the relay .deb in " + Env.packagesDir() + " (./mvnw -Pinstallers package)");
        Env.require(Cmd.of("dpkg-query", "-W", "kefu-relay").run().exit() != 0,
                "a machine without kefu-relay installed (this test purges it at the end)");
    }

    @AfterAll
    void purgeAndStop() throws InterruptedException {
        if (relay != null) {
            relay.close();
        }
        if (firstDeb != null && Cmd.of("dpkg-query", "-W", "kefu-relay").run().exit() == 0) {
            Cmd.of("dpkg", "--purge", "kefu-relay").ok();
        }
    }

    @Test
    @Order(1)
    void install_createsUserDataFolderConfigAndCommand() throws IOException {
        String out = Cmd.of("dpkg", "-i", firstDeb.toString()).timeout(Duration.ofMinutes(3)).ok();
        Files.writeString(logs.resolve("dpkg-install.txt"), out);

        assertThat(Cmd.of("getent", "passwd", "kefu").ok()).contains(":/var/lib/kefu:/usr/sbin/nologin");
        assertThat(owner(Path.of("/var/lib/kefu"))).isEqualTo("kefu:kefu 750");
        assertThat(owner(Path.of("/etc/kefu/relay.properties"))).isEqualTo("root:kefu 640");
        assertThat(Cmd.of("dpkg-query", "-W", "-f", "${Conffiles}", "kefu-relay").ok()).contains("/etc/kefu/relay.properties");
        assertThat(Path.of("/lib/systemd/system/kefu-relay.service")).isRegularFile();
        assertThat(Cmd.of("kefu-relay", "--version").ok()).startsWith("kefu-relay ");
    }

    @Test
    @Order(2)
    void installedUnit_passesSystemdAnalyzeVerify() {
        Env.require(Env.onPath("systemd-analyze"), "systemd-analyze");
        Cmd.Result r = Cmd.of("systemd-analyze", "verify", "/lib/systemd/system/kefu-relay.service").run();
        assertThat(r.output()).doesNotContain("kefu-relay.service:");
        assertThat(r.exit()).isZero();
    }

    @Test
    @Order(3)
    void installedRuntime_passesSelfCheckAsKefu() throws IOException {
        // As the service user, from a folder it can read: TLS, HMAC, PBKDF2, SQLite's native library.
        Path tmp = Files.createTempDirectory("kefu-selfcheck", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
        try {
            Path classes = tmp.resolve("classes/dev/kefu/installers");
            Files.createDirectories(classes);
            Path compiled = Path.of(System.getProperty("kefu.test.classes", "target/test-classes")).toAbsolutePath();
            try (Stream<Path> files = Files.list(compiled.resolve("dev/kefu/installers"))) {
                for (Path f : files.filter(p -> p.getFileName().toString().startsWith("RuntimeSelfCheck")).toList()) {
                    Files.copy(f, classes.resolve(f.getFileName()));
                }
            }
            Cmd.of("chmod", "-R", "a+rwX", tmp.toString()).ok();
            String runtime = "/opt/kefu-relay/lib/runtime/bin/";
            Cmd.of("runuser", "-u", "kefu", "--", runtime + "keytool", "-genkeypair", "-alias", "t", "-keyalg", "EC",
                    "-groupname", "secp256r1", "-dname", "CN=localhost", "-validity", "2", "-storetype", "PKCS12",
                    "-keystore", tmp.resolve("tls.p12").toString(), "-storepass", "changeit").ok();
            String out = Cmd.of("runuser", "-u", "kefu", "--", runtime + "java", "-cp",
                    tmp.resolve("classes") + ":/opt/kefu-relay/lib/app/kefu-relay.jar", RuntimeSelfCheck.class.getName(),
                    tmp.resolve("tls.p12").toString(), "changeit", tmp.resolve("db").toString()).timeout(Duration.ofMinutes(2)).ok();
            assertThat(out).contains("ok tls TLSv1.3", "ok sqlite").endsWith("ALL OK\n");
        } finally {
            Cmd.of("rm", "-rf", tmp.toString()).ok();
        }
    }

    @Test
    @Order(4)
    void installedRelay_startedAsTheUnitDoes_answersHealth() throws Exception {
        // The admin's change to the conffile: a free port on loopback. The upgrade must keep it.
        port = freePort();
        Path config = Path.of("/etc/kefu/relay.properties");
        String text = Files.readString(config).replaceAll("(?m)^port=.*$", "port=" + port).replaceAll("(?m)^host=.*$", "host=127.0.0.1");
        Files.writeString(config, text);

        relay = InstalledRelay.start(logs.resolve("relay-run-1.log"));
        baseUrl = relay.awaitReady(START_TIMEOUT);
        assertThat(baseUrl).isEqualTo("http://127.0.0.1:" + port);
        HttpResponse<String> health = get("/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"up\"");
    }

    @Test
    @Order(5)
    void adminCommand_asRoot_createsSiteAndKeepsFilesOwnedByKefu() throws IOException {
        String out = Cmd.of("kefu-relay", "site", "add", "--key", SITE, "--name", "Installer test").ok();
        assertThat(out).contains("site added: " + SITE);
        assertThat(Cmd.of("kefu-relay", "site", "list").ok()).contains(SITE);
        try (Stream<Path> files = Files.walk(Path.of("/var/lib/kefu"))) {
            for (Path f : files.toList()) {
                assertThat(owner(f)).as(f.toString()).startsWith("kefu:kefu ");
            }
        }
    }

    @Test
    @Order(6)
    void visitorMessage_isStoredAndAcked() throws Exception {
        LongPollVisitor visitor = new LongPollVisitor(baseUrl);
        JsonNode welcome = visitor.open(SITE, VISITOR);
        assertThat(welcome.path("conversations")).isEmpty();
        visitor.sendText(CID, BODY);
        JsonNode ack = visitor.awaitFrame(f -> "ack".equals(f.path("type").asText()) && CID.equals(f.path("cid").asText()),
                Duration.ofSeconds(30));
        assertThat(ack.path("seq").asLong()).isEqualTo(1);
        conversation = ack.path("conv").asText();
    }

    @Test
    @Order(7)
    void onlineBackup_asInstallMd_holdsTheAckedMessage_andRestoreIsRefusedWhileTheRelayRuns() throws IOException {
        // docs/install.md, "Back up and restore": kefu-relay backup while the relay runs, into a folder of kefu's.
        Cmd.of("install", "-d", "-o", "kefu", "-g", "kefu", "-m", "750", BACKUPS.toString()).ok();
        String out = Cmd.of("kefu-relay", "backup", "--to", BACKUP.toString()).ok();
        assertThat(out).contains("backup made: " + BACKUP).contains("1 messages in 1 conversations").contains("integrity ok");
        assertThat(owner(BACKUP.resolve("kefu.db"))).startsWith("kefu:kefu ");
        if (Env.onPath("sqlite3")) {
            assertThat(Cmd.of("sqlite3", BACKUP.resolve("kefu.db").toString(), "SELECT body FROM messages WHERE cid = '" + CID + "'")
                    .ok().strip()).isEqualTo(BODY);
        }
        Cmd.Result refused = Cmd.of("kefu-relay", "restore", "--from", BACKUP.toString()).run();
        assertThat(refused.exit()).as(refused.output()).isEqualTo(1);
        assertThat(refused.output()).contains("stop the relay first");
    }

    @Test
    @Order(8)
    void relay_stopsCleanlyOnSigterm() throws InterruptedException {
        int exit = relay.stop(Duration.ofSeconds(30));
        relay = null;
        assertThat(exit).as("143 = SIGTERM, listed in SuccessExitStatus").isIn(0, 143);
    }

    @Test
    @Order(9)
    void restore_asInstallMd_putsTheBackupBack_ownedByKefu() throws IOException {
        try {
            String out = Cmd.of("kefu-relay", "restore", "--from", BACKUP.toString()).ok();
            assertThat(out).contains("1 messages in 1 conversations").contains("before-restore-");
            try (Stream<Path> files = Files.walk(Path.of("/var/lib/kefu"))) {
                for (Path f : files.toList()) {
                    assertThat(owner(f)).as(f.toString()).startsWith("kefu:kefu ");
                }
            }
        } finally {
            Cmd.of("rm", "-rf", BACKUPS.toString()).ok();
        }
    }

    @Test
    @Order(10)
    void nextVersion_installsOverTheFirst() throws IOException {
        String first = Cmd.of("dpkg-query", "-W", "-f", "${Version}", "kefu-relay").ok();
        String next = nextVersion(first);
        Path out = Env.targetDir().resolve("next-packages");
        String built = Cmd.of("bash", "src/package-scripts/relay-deb.sh",
                "--jar=" + System.getProperty("kefu.relay.jar"), "--maven-version=" + Env.mavenVersion(),
                "--package-version=" + next, "--release=" + Env.release(),
                "--work=" + Env.targetDir().resolve("relay"), "--out=" + out)
                .dir(Env.installersDir()).timeout(Duration.ofMinutes(10)).ok();
        Files.writeString(logs.resolve("build-next.txt"), built);
        Path nextDeb = Path.of(built.strip().lines().reduce((a, b) -> b).orElseThrow());
        String nextFull = next + "-" + Env.release();
        assertThat(Cmd.of("dpkg", "--compare-versions", nextFull, "gt", first).run().exit())
                .as(nextFull + " sorts after " + first).isZero();

        String upgrade = Cmd.of("dpkg", "-i", nextDeb.toString()).timeout(Duration.ofMinutes(3)).ok();
        Files.writeString(logs.resolve("dpkg-upgrade.txt"), upgrade);
        assertThat(Cmd.of("dpkg-query", "-W", "-f", "${Version}", "kefu-relay").ok()).isEqualTo(nextFull);
        assertThat(Files.readString(Path.of("/etc/kefu/relay.properties"))).as("admin's change kept").contains("port=" + port);
        assertThat(Path.of("/etc/kefu/relay.properties.dpkg-dist")).doesNotExist();
    }

    @Test
    @Order(11)
    void afterUpgrade_storedMessageIsReplayedOnResume() throws Exception {
        relay = InstalledRelay.start(logs.resolve("relay-run-2.log"));
        assertThat(relay.awaitReady(START_TIMEOUT)).isEqualTo(baseUrl);
        assertThat(get("/health").statusCode()).isEqualTo(200);

        LongPollVisitor visitor = new LongPollVisitor(baseUrl);
        JsonNode welcome = visitor.open(SITE, VISITOR);
        assertThat(welcome.path("conversations")).hasSize(1);
        assertThat(welcome.path("conversations").get(0).path("id").asText()).isEqualTo(conversation);
        assertThat(welcome.path("conversations").get(0).path("lastSeq").asLong()).isEqualTo(1);
        JsonNode msg = visitor.awaitFrame(f -> "msg".equals(f.path("type").asText()) && CID.equals(f.path("cid").asText()),
                Duration.ofSeconds(30));
        assertThat(msg.path("body").asText()).isEqualTo(BODY);
        assertThat(msg.path("seq").asLong()).isEqualTo(1);
        assertThat(relay.stop(Duration.ofSeconds(30))).isIn(0, 143);
        relay = null;
    }

    @Test
    @Order(12)
    void remove_keepsDataAndConfig() {
        Cmd.of("dpkg", "--remove", "kefu-relay").ok();
        assertThat(Path.of("/var/lib/kefu/kefu.db")).isRegularFile();
        assertThat(Path.of("/etc/kefu/relay.properties")).isRegularFile();
        assertThat(Path.of("/opt/kefu-relay")).doesNotExist();
        assertThat(Path.of("/usr/bin/kefu-relay")).doesNotExist();
    }

    @Test
    @Order(13)
    void purge_removesDataConfigAndUser() {
        Cmd.of("dpkg", "--purge", "kefu-relay").ok();
        assertThat(Path.of("/var/lib/kefu")).doesNotExist();
        assertThat(Path.of("/etc/kefu")).doesNotExist();
        assertThat(Path.of("/lib/systemd/system/kefu-relay.service")).doesNotExist();
        assertThat(Cmd.of("getent", "passwd", "kefu").run().exit()).isNotZero();
    }

    /** 0.1.0~SNAPSHOT-1 -> 0.1.1: the numeric part with its last number plus one. */
    static String nextVersion(String installed) {
        Matcher m = Pattern.compile("^((?:\\d+\\.)*)(\\d+)(?:[~+-].*)?$").matcher(installed);
        if (!m.matches()) {
            throw new AssertionError("cannot make a next version from " + installed);
        }
        return m.group(1) + (Long.parseLong(m.group(2)) + 1);
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String owner(Path p) {
        return Cmd.of("stat", "-c", "%U:%G %a", p.toString()).ok().strip();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}

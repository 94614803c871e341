package dev.kefu.relay.backup;

import dev.kefu.relay.store.SqliteDatabase;
import dev.kefu.relay.testing.CliRun;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayProcess;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@code kefu-relay restore} refuses, and that a refusal leaves the data folder's store as it
 * was: same files, same bytes, and a relay started on it finds its messages.
 */
class RestoreRefusalTest {
    @TempDir
    Path tmp;

    @Test
    void restore_whileARelayRunsOnTheFolder_isRefused_andTheRelayKeepsServingItsData() throws Exception {
        Path data = tmp.resolve("data");
        CliRun.run("site", "add", "--key", RelayFixture.SITE, "--secret", "s3cret-value-123", "--data", data.toString())
                .expectExit(0);
        Path backup = backupOfAnotherStore();
        String vid = RelayFixture.newVisitorId();
        try (RelayProcess relay = RelayProcess.serve(data, tmp.resolve("relay.log"))) {
            String conv;
            try (WsClient visitor = WsClient.connect(relay.ws("/ws/visitor"))) {
                visitor.send(RelayFixture.visitorHello(vid, Map.of()));
                visitor.next("welcome");
                conv = visitor.say("stored while the relay runs").get("conv").asText();
            }
            // The running relay still writes (index, checkpoints): compare names and the file's identity, not bytes.
            var namesBefore = storeFiles(data).keySet();
            Object dbBefore = Files.readAttributes(data.resolve("kefu.db"), BasicFileAttributes.class).fileKey();

            CliRun r = CliRun.run("restore", "--data", data.toString(), "--from", backup.toString()).expectExit(1);
            assertThat(r.err()).contains("in use by a relay").contains("process " + relay.pid())
                    .contains("stop the relay first").contains("Nothing was changed");
            assertThat(storeFiles(data).keySet()).isEqualTo(namesBefore);
            assertThat(Files.readAttributes(data.resolve("kefu.db"), BasicFileAttributes.class).fileKey()).isEqualTo(dbBefore);

            try (WsClient visitor = WsClient.connect(relay.ws("/ws/visitor"))) {
                visitor.send(RelayFixture.visitorHello(vid, Map.of()));
                visitor.next("welcome");
                assertThat(visitor.history(conv)).extracting(m -> m.get("body").asText())
                        .containsExactly("stored while the relay runs");
            }
        }
    }

    @Test
    void secondRelay_onAFolderInUse_isRefused() throws Exception {
        Path data = tmp.resolve("data");
        try (RelayProcess first = RelayProcess.serve(data, tmp.resolve("first.log"))) {
            Path err = tmp.resolve("second.err");
            Process second = new ProcessBuilder(javaCommand("serve", "--port", "0", "--host", "127.0.0.1",
                    "--data", data.toString()))
                    .redirectOutput(tmp.resolve("second.out").toFile()).redirectError(err.toFile()).start();
            try {
                assertThat(second.waitFor(60, TimeUnit.SECONDS)).as("the second relay exits").isTrue();
                assertThat(second.exitValue()).isEqualTo(1);
                assertThat(Files.readString(err)).contains("in use by a relay").contains("process " + first.pid());
                assertThat(first.isAlive()).isTrue();
            } finally {
                second.destroyForcibly();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"text file", "empty file", "another program's SQLite database", "folder without kefu.db"})
    void restore_ofSomethingThatIsNoKefuStore_isRefused_andTouchesNothing(String what) throws Exception {
        Path data = storeWithOneMessage();
        Path from = tmp.resolve("not-kefu");
        switch (what) {
            case "text file" -> Files.writeString(from, "SQLite format 3 is what this file is not\n".repeat(100));
            case "empty file" -> Files.createFile(from);
            case "another program's SQLite database" -> {
                try (Connection c = StoreFacts.connect(Files.createFile(from), false); Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
                    s.execute("INSERT INTO notes (body) VALUES ('hello')");
                    s.execute("PRAGMA user_version = 3");
                }
            }
            default -> Files.createDirectories(from).resolve("readme.txt").toFile().createNewFile();
        }
        assertRefusedAndUntouched(data, from, what.startsWith("folder") ? "not a Kefu backup" : "not a Kefu relay store");
    }

    @Test
    void restore_ofAStoreWithANewerSchema_isRefused_andTouchesNothing() throws Exception {
        Path data = storeWithOneMessage();
        Path backup = backupOfAnotherStore();
        try (Connection c = StoreFacts.connect(backup.resolve("kefu.db"), false); Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = " + (SqliteDatabase.SCHEMA_VERSION + 1));
        }
        assertRefusedAndUntouched(data, backup, "newer than this relay knows");
    }

    @Test
    void restore_ofADamagedStore_isRefused_andTouchesNothing() throws Exception {
        Path data = storeWithOneMessage();
        Path backup = backupOfAnotherStore();
        Path db = backup.resolve("kefu.db");
        byte[] bytes = Files.readAllBytes(db);
        // Page 2 onwards is table and index pages: overwrite the middle of the file with garbage.
        for (int i = 4096 + 100; i < bytes.length - 100; i += 7) {
            bytes[i] = (byte) (bytes[i] ^ 0x5A);
        }
        Files.write(db, bytes);
        CliRun r = CliRun.run("restore", "--data", data.toString(), "--from", backup.toString());
        assertThat(r.exitCode()).as(r.out() + r.err()).isEqualTo(1);
        assertThat(r.err()).contains("Nothing was changed");
        assertStoreAsBefore(data);
    }

    // ---- helpers ----

    private Map<String, String> snapshot;
    private String storedConv;
    private String storedVisitor;

    /** A data folder whose relay stored one message and stopped; remembers its files' bytes. */
    private Path storeWithOneMessage() throws Exception {
        Path data = tmp.resolve("data");
        try (RelayFixture relay = RelayFixture.start(data); WsClient visitor = relay.visitor(storedVisitor = RelayFixture.newVisitorId())) {
            visitor.next("welcome");
            storedConv = visitor.say("must survive a refused restore 🙂").get("conv").asText();
        }
        snapshot = storeFiles(data);
        return data;
    }

    /** A backup folder of a store other than the test's data folder. */
    private Path backupOfAnotherStore() throws Exception {
        Path other = tmp.resolve("other-data");
        try (RelayFixture relay = RelayFixture.start(other); WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            visitor.next("welcome");
            visitor.say("from the other store");
        }
        Path backup = tmp.resolve("backup-of-other");
        CliRun.run("backup", "--data", other.toString(), "--to", backup.toString()).expectExit(0);
        return backup;
    }

    private void assertRefusedAndUntouched(Path data, Path from, String because) throws Exception {
        CliRun r = CliRun.run("restore", "--data", data.toString(), "--from", from.toString()).expectExit(1);
        assertThat(r.err()).contains(because).contains("Nothing was changed");
        assertStoreAsBefore(data);
    }

    private void assertStoreAsBefore(Path data) throws Exception {
        assertThat(storeFiles(data)).isEqualTo(snapshot);
        try (RelayFixture relay = RelayFixture.start(data); WsClient visitor = relay.visitor(storedVisitor)) {
            visitor.next("welcome");
            assertThat(visitor.history(storedConv)).extracting(m -> m.get("body").asText())
                    .containsExactly("must survive a refused restore 🙂");
        }
    }

    /**
     * Every file under {@code data} but the lock file (a refused restore may take the lock) with
     * the SHA-256 of its bytes: equal maps mean nothing was moved, added or changed.
     */
    private static Map<String, String> storeFiles(Path data) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> all = Files.walk(data)) {
            for (Path p : all.toList()) {
                String name = data.relativize(p).toString();
                if (name.equals("kefu.lock") || p.equals(data)) {
                    continue;
                }
                out.put(name, Files.isDirectory(p) ? "dir" : sha256(p));
            }
        }
        return out;
    }

    private static String sha256(Path p) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> javaCommand(String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "dev.kefu.relay.cli.RelayCli"));
        command.addAll(List.of(args));
        return command;
    }
}

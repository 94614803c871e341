package dev.kefu.relay.backup;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.relay.config.RelayConfig;
import dev.kefu.relay.testing.CliRun;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayTest;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code kefu-relay backup} beside a relay that is storing messages. */
class BackupTest extends RelayTest {
    /** Acks to see before the backup starts, and again after it ended, so that it falls mid-stream. */
    private static final int ACKS_AROUND = 150;

    @TempDir
    Path backups;

    @Override
    protected RelayConfig configure(RelayConfig config) {
        return config.withRateLimit(100_000, 100_000); // the visitors send as fast as the relay takes them
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES) // backstop: every wait has its own timeout
    void backupWhileVisitorsSend_passesIntegrityCheck_holdsEveryMessageAckedBeforeIt_andOnlyAckedOnes_gapless() throws Exception {
        AtomicBoolean sending = new AtomicBoolean(true);
        Map<String, Long> acked = new ConcurrentHashMap<>(); // cid -> seq
        Semaphore acks = new Semaphore(0); // one permit per ack received
        List<Thread> senders = new ArrayList<>();
        List<WsClient> visitors = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        // A long read (another backup, a search) holds checkpoints back: from here on, commits live in the
        // WAL only, which a copy of kefu.db alone would miss.
        Connection longReader = StoreFacts.connect(data.resolve("kefu.db"), true);
        longReader.setAutoCommit(false);
        try (Statement s = longReader.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM messages")) {
            rs.next();
        }
        for (int v = 0; v < 2; v++) {
            WsClient visitor = relay.visitor(RelayFixture.newVisitorId());
            visitor.next("welcome");
            visitors.add(visitor);
            String prefix = "v" + v + "-";
            // One thread sends with at most 32 unacked, reading the acks as they come.
            Thread t = new Thread(() -> {
                try {
                    int sent = 0;
                    int seen = 0;
                    while (sending.get() || seen < sent) {
                        if (sending.get() && sent - seen < 32) {
                            visitor.send(new Frame.Send(prefix + ++sent, null, "text", "消息 " + sent + " 🙂", null));
                            continue;
                        }
                        JsonNode ack = visitor.next("ack");
                        acked.put(ack.get("cid").asText(), ack.get("seq").asLong());
                        acks.release();
                        seen++;
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "backup-test-sender-" + v);
            t.start();
            senders.add(t);
        }
        try {
            awaitAcks(acks, failures);
            Path backup = backups.resolve("during");
            Map<String, Long> ackedBeforeBackup = Map.copyOf(acked); // committed before the snapshot began
            CliRun run = CliRun.run("backup", "--data", data.toString(), "--to", backup.toString()).expectExit(0);
            assertThat(run.out()).contains("integrity ok");
            longReader.rollback();
            acks.drainPermits();
            awaitAcks(acks, failures);
            sending.set(false);
            for (Thread t : senders) {
                t.join(30_000);
                assertThat(t.isAlive()).as("sender still waiting for acks").isFalse();
            }
            assertThat(failures).isEmpty();

            Map<String, Long> inBackup = new HashMap<>();
            Map<String, List<Long>> seqsByConv = new TreeMap<>();
            try (Connection c = StoreFacts.connect(backup.resolve("kefu.db"), true)) {
                assertThat(StoreFacts.integrity(c)).isEqualTo("ok");
                try (Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT conv, seq, cid FROM messages ORDER BY conv, seq")) {
                    while (rs.next()) {
                        inBackup.put(rs.getString(3), rs.getLong(2));
                        seqsByConv.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getLong(2));
                    }
                }
            }
            assertThat(inBackup.size()).as("the backup fell mid-stream").isBetween(ACKS_AROUND, acked.size() - ACKS_AROUND);
            assertThat(acked).as("every message in the backup was acked, with its seq").containsAllEntriesOf(inBackup);
            assertThat(inBackup).as("every message acked before the backup began is in it, with its seq")
                    .containsAllEntriesOf(ackedBeforeBackup);
            assertThat(seqsByConv).hasSize(2);
            seqsByConv.forEach((conv, seqs) -> {
                for (int i = 0; i < seqs.size(); i++) {
                    assertThat(seqs.get(i)).as("seq %d of %s", i + 1, conv).isEqualTo(i + 1);
                }
            });
            assertThat(Files.list(backup).map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("kefu.db", DataBackup.MANIFEST);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(backup)))
                    .as("others may not read the store's secrets").endsWith("---");
        } finally {
            longReader.close();
            sending.set(false);
            for (Thread t : senders) {
                t.join(30_000);
            }
            visitors.forEach(WsClient::close);
        }
    }

    @Test
    void backup_intoAFolderThatHoldsSomething_isRefused_andLeavesItAlone() throws Exception {
        Path target = backups.resolve("used");
        Files.createDirectories(target);
        Files.writeString(target.resolve("notes.txt"), "mine");
        CliRun r = CliRun.run("backup", "--data", data.toString(), "--to", target.toString()).expectExit(1);
        assertThat(r.err()).contains("not empty");
        assertThat(Files.list(target).map(p -> p.getFileName().toString())).containsExactly("notes.txt");
    }

    @Test
    void backup_ofAFolderWithoutAStore_isRefused() throws Exception {
        Path empty = backups.resolve("no-store");
        Files.createDirectories(empty);
        CliRun r = CliRun.run("backup", "--data", empty.toString(), "--to", backups.resolve("b").toString()).expectExit(1);
        assertThat(r.err()).contains("no relay store");
        assertThat(backups.resolve("b")).doesNotExist();
        assertThat(empty.resolve("kefu.db")).doesNotExist();
    }

    /** Waits for {@link #ACKS_AROUND} acks to arrive (on either connection). */
    private static void awaitAcks(Semaphore acks, List<Throwable> failures) throws InterruptedException {
        if (!acks.tryAcquire(ACKS_AROUND, 30, TimeUnit.SECONDS)) {
            throw new AssertionError("fewer than " + ACKS_AROUND + " acks within 30 s; failures " + failures);
        }
    }
}

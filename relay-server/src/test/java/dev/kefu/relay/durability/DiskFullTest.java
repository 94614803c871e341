package dev.kefu.relay.durability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The relay's disk fills up: on a real file system that is full (a small tmpfs of its own), a
 * message that cannot be written is refused with the retryable {@code server_busy} and its
 * {@code cid}, never acked; the relay stays up; once space is free again the client's resend (same
 * cid) is stored once, at the next seq, with no gap, and what was acked before is all there after a
 * restart, in a database that passes SQLite's integrity check.
 */
class DiskFullTest {
    private static final String BIG = "满".repeat(1_600) + " 😀"; // about 4.8 KB in UTF-8

    @TempDir
    Path tmp;
    private Path disk;
    private boolean mounted;

    @BeforeEach
    void mountSmallDisk() throws Exception {
        disk = Files.createDirectory(tmp.resolve("disk"));
        mounted = run("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", disk.toString()) == 0;
        assumeTrue(mounted, "needs root to mount a small tmpfs (the test runs on this project's CI machine)");
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted) {
            run("umount", "-l", disk.toString());
        }
    }

    @Test
    void aFullDisk_refusesWithServerBusy_andTheResendIsStoredOnceWithoutAGap_whenSpaceIsBack() throws Exception {
        Path data = disk.resolve("data");
        Path filler = disk.resolve("filler");
        String conv;
        long lastAcked;
        List<String> ackedCids = new ArrayList<>();
        String refusedCid;
        try (RelayFixture relay = RelayFixture.start(data);
             WsClient visitor = relay.visitor(RelayFixture.newVisitorId());
             WsClient agent = relay.agent("alice")) {
            visitor.next("welcome");
            agent.next("welcome");
            visitor.send(new Frame.Send("before-1", null, "text", "hello 😀", null));
            JsonNode first = visitor.next("ack");
            conv = first.get("conv").asText();
            lastAcked = first.get("seq").asLong();
            ackedCids.add("before-1");

            fill(filler);

            // Whatever still fits in space SQLite holds already is stored and acked; the first write
            // that needs more is refused, retryably, and nothing after it is acked out of order.
            refusedCid = null;
            for (int i = 1; i <= 2_000 && refusedCid == null; i++) {
                String cid = "full-" + i;
                visitor.send(new Frame.Send(cid, conv, "text", BIG + i, null));
                JsonNode answer = visitor.next(f -> cid.equals(f.path("cid").asText())
                        && ("ack".equals(f.path("type").asText()) || "error".equals(f.path("type").asText())), "answer to " + cid);
                if ("ack".equals(answer.get("type").asText())) {
                    assertThat(answer.get("seq").asLong()).isEqualTo(lastAcked + 1);
                    lastAcked = answer.get("seq").asLong();
                    ackedCids.add(cid);
                } else {
                    assertThat(answer.get("code").asText()).isEqualTo("server_busy");
                    refusedCid = cid;
                }
            }
            assertThat(refusedCid).as("a write refused while the disk is full").isNotNull();
            assertThat(relay.get("/health").statusCode()).isEqualTo(200);

            Files.delete(filler);
            visitor.send(new Frame.Send(refusedCid, conv, "text", "resent after space came back 😀", null));
            JsonNode ack = visitor.next(f -> "ack".equals(f.path("type").asText()), "the resend's ack");
            assertThat(ack.get("cid").asText()).isEqualTo(refusedCid);
            assertThat(ack.get("seq").asLong()).as("the next seq: no gap left by the refused write").isEqualTo(lastAcked + 1);
            lastAcked = ack.get("seq").asLong();
            ackedCids.add(refusedCid);

            // The agent got every acked message once, in order, the refused one only as resent.
            List<Long> seqs = new ArrayList<>();
            while (seqs.isEmpty() || seqs.get(seqs.size() - 1) < lastAcked) {
                JsonNode m = agent.nextVisitorMessage();
                seqs.add(m.get("seq").asLong());
                if (m.get("cid").asText().equals(refusedCid)) {
                    assertThat(m.get("body").asText()).isEqualTo("resent after space came back 😀");
                }
            }
            assertThat(seqs).doesNotHaveDuplicates().isSorted().last().isEqualTo(lastAcked);
            assertThat(seqs).hasSize((int) lastAcked);
        }

        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("kefu.db"));
             Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("ok");
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*), max(seq) FROM messages WHERE conv = '" + conv + "'")) {
                rs.next();
                assertThat(rs.getLong(1)).as("every acked message, once").isEqualTo(ackedCids.size());
                assertThat(rs.getLong(2)).isEqualTo(lastAcked);
            }
        }
        try (RelayFixture again = RelayFixture.start(data);
             WsClient agent = again.agent("alice")) {
            agent.next("welcome");
            List<JsonNode> replayed = agent.collect("msg", ackedCids.size());
            assertThat(replayed).extracting(m -> m.get("cid").asText()).containsExactlyElementsOf(ackedCids);
        }
    }

    /** Writes zeros to {@code filler} until the file system is out of space. */
    private static void fill(Path filler) throws IOException {
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(chunk);
            }
        } catch (IOException full) {
            // "No space left on device"; what fitted stays.
            assertThat(full.getMessage()).containsIgnoringCase("space");
        }
    }

    private static int run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().transferTo(OutputStream.nullOutputStream());
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }
}

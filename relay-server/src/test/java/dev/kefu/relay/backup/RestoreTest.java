package dev.kefu.relay.backup;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.relay.testing.CliRun;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayTest;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kefu-relay backup} and {@code restore} against a real relay and real SQLite files: after a
 * restore the relay hands out again seqs that clients hold, and only the new epoch keeps them from
 * taking new messages for old ones (docs/protocol.md, "After a restore from backup").
 */
class RestoreTest extends RelayTest {
    private static final int BEFORE_BACKUP = 5;
    private static final int AFTER_BACKUP = 3;

    @TempDir
    Path backups;

    @Test
    void restoredStore_getsANewEpoch_andAClientOfTheOldOneGetsTheRestoredHistory_andSeqsGoOnFromTheBackup() throws Exception {
        String vid = RelayFixture.newVisitorId();
        WsClient visitor = relay.visitor(vid);
        String oldEpoch = visitor.next("welcome").path("epoch").asText();
        WsClient agent = relay.agent("alice");
        agent.next("welcome");
        Map<String, String> cids = new LinkedHashMap<>(); // cid -> body, in sending order
        for (int i = 1; i <= BEFORE_BACKUP + AFTER_BACKUP; i++) {
            cids.put("c" + i, "message " + i);
        }
        List<String> order = new ArrayList<>(cids.keySet());
        String conv = null;
        for (int i = 1; i <= BEFORE_BACKUP; i++) {
            visitor.send(new Frame.Send(order.get(i - 1), null, "text", cids.get(order.get(i - 1)), null));
            conv = visitor.next("ack").get("conv").asText();
        }
        assertThat(agent.collect("msg", BEFORE_BACKUP)).extracting(m -> m.get("seq").asLong()).containsExactly(1L, 2L, 3L, 4L, 5L);

        Path backup = backups.resolve("b1");
        CliRun.run("backup", "--data", data.toString(), "--to", backup.toString()).expectExit(0);

        for (int i = BEFORE_BACKUP + 1; i <= BEFORE_BACKUP + AFTER_BACKUP; i++) {
            visitor.send(new Frame.Send(order.get(i - 1), conv, "text", cids.get(order.get(i - 1)), null));
            assertThat(visitor.next("ack").get("seq").asLong()).isEqualTo(i);
        }
        long agentHolds = agent.collect("msg", AFTER_BACKUP).get(AFTER_BACKUP - 1).get("seq").asLong();
        assertThat(agentHolds).isEqualTo(BEFORE_BACKUP + AFTER_BACKUP);
        agent.close();
        visitor.close();
        relay.close();

        CliRun restored = CliRun.run("restore", "--data", data.toString(), "--from", backup.toString()).expectExit(0);
        relay = RelayFixture.start(data);

        // The agent comes back as its cache left it: the old epoch, holding seqs 1..8.
        try (WsClient back = relay.agent("alice", Map.of(conv, agentHolds), oldEpoch)) {
            String newEpoch = back.next("welcome").path("epoch").asText();
            assertThat(newEpoch).isNotEqualTo(oldEpoch);
            assertThat(restored.out()).contains(oldEpoch + " -> " + newEpoch);
            List<JsonNode> history = back.collect("msg", BEFORE_BACKUP);
            assertThat(history).extracting(m -> m.get("seq").asLong()).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(history).extracting(m -> m.get("body").asText()).containsExactlyElementsOf(
                    order.subList(0, BEFORE_BACKUP).stream().map(cids::get).toList());

            try (WsClient visitorBack = relay.visitor(vid, Map.of(conv, (long) BEFORE_BACKUP + AFTER_BACKUP), oldEpoch)) {
                assertThat(visitorBack.next("welcome").path("epoch").asText()).isEqualTo(newEpoch);
                assertThat(visitorBack.collect("msg", BEFORE_BACKUP)).extracting(m -> m.get("seq").asLong())
                        .containsExactly(1L, 2L, 3L, 4L, 5L);

                // The hazard: a new message takes seq 6 again, which the clients held for "message 6".
                visitorBack.send(new Frame.Send("c-new", conv, "text", "after the restore", null));
                assertThat(visitorBack.next("ack").get("seq").asLong()).isEqualTo(BEFORE_BACKUP + 1);
                JsonNode delivered = back.next("msg");
                assertThat(delivered.get("seq").asLong()).isEqualTo(BEFORE_BACKUP + 1);
                assertThat(delivered.get("body").asText()).isEqualTo("after the restore");

                // The visitor's outbox: message 8 (its ack lost with the restore) and message 3 (in the backup).
                String lost = order.get(BEFORE_BACKUP + AFTER_BACKUP - 1);
                visitorBack.send(new Frame.Send(lost, conv, "text", cids.get(lost), null));
                JsonNode lostAck = visitorBack.next("ack");
                assertThat(lostAck.get("cid").asText()).isEqualTo(lost);
                assertThat(lostAck.get("seq").asLong()).isEqualTo(BEFORE_BACKUP + 2);
                assertThat(back.next("msg").get("body").asText()).isEqualTo(cids.get(lost));
                visitorBack.send(new Frame.Send("c3", conv, "text", cids.get("c3"), null));
                assertThat(visitorBack.next("ack").get("seq").asLong()).isEqualTo(3);
                assertThat(visitorBack.history(conv)).extracting(m -> m.get("body").asText()).containsExactly(
                        "message 1", "message 2", "message 3", "message 4", "message 5", "after the restore", "message 8");
            }
        }
    }

    @Test
    void restore_movesTheReplacedStoreAside_whereItStillOpensWithAllItsMessages() throws Exception {
        String conv;
        try (WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            visitor.next("welcome");
            conv = visitor.say("kept in the backup").get("conv").asText();
            CliRun.run("backup", "--data", data.toString(), "--to", backups.resolve("b").toString()).expectExit(0);
            visitor.say("only in the replaced store");
        }
        relay.close();
        CliRun r = CliRun.run("restore", "--data", data.toString(), "--from", backups.resolve("b").toString()).expectExit(0);

        Path aside;
        try (Stream<Path> in = Files.list(data)) {
            aside = in.filter(p -> p.getFileName().toString().startsWith("before-restore-")).findFirst().orElseThrow();
        }
        assertThat(r.out()).contains(aside.toString()).contains("1 messages in 1 conversations");
        assertThat(data.resolve("kefu.db-wal")).doesNotExist();
        assertThat(data.resolve("kefu.db-shm")).doesNotExist();
        assertThat(StoreFacts.of(aside.resolve("kefu.db")).messages()).isEqualTo(2);
        assertThat(StoreFacts.of(data.resolve("kefu.db")).messages()).isEqualTo(1);
        try (Stream<Path> in = Files.list(data)) {
            assertThat(in.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".restore"));
        }
        relay = RelayFixture.start(data);
        try (WsClient agent = relay.agent("alice")) {
            agent.next("welcome");
            assertThat(agent.history(conv)).extracting(m -> m.get("body").asText()).containsExactly("kept in the backup");
        }
    }

    @Test
    void fourByteCharacters_surviveBackupAndRestore_intoAnEmptyDataFolder() throws Exception {
        List<String> bodies = List.of("🙂", "退款 🧧 请在 24 小时内处理 😀👍🏽", "𠮷野家 𝄞 family: 👨‍👩‍👧‍👦", "plain ascii");
        String vid = RelayFixture.newVisitorId();
        String conv = null;
        try (WsClient visitor = relay.visitor(vid)) {
            visitor.next("welcome");
            for (String b : bodies) {
                conv = visitor.say(b).get("conv").asText();
            }
        }
        Path backup = backups.resolve("emoji");
        CliRun.run("backup", "--data", data.toString(), "--to", backup.toString()).expectExit(0);
        relay.close();

        Path elsewhere = backups.resolve("new-machine");
        CliRun r = CliRun.run("restore", "--data", elsewhere.toString(), "--from", backup.toString()).expectExit(0);
        assertThat(r.out()).contains("previous:  none");
        relay = RelayFixture.start(elsewhere);
        try (WsClient agent = relay.agent("alice")) {
            agent.next("welcome");
            assertThat(agent.history(conv)).extracting(m -> m.get("body").asText()).containsExactlyElementsOf(bodies);
        }
    }

    @Test
    void localFiles_goIntoTheBackup_andComeBackWithTheRestore() throws Exception {
        byte[] kept = bytes(40_000, 1);
        String keptKey = upload("截图 kept 🙂.png", kept);
        CliRun b = CliRun.run("backup", "--data", data.toString(), "--to", backups.resolve("f").toString()).expectExit(0);
        assertThat(b.out()).contains("1 files, 40000 bytes");
        String laterKey = upload("later.png", bytes(1_000, 2));
        relay.close();

        CliRun r = CliRun.run("restore", "--data", data.toString(), "--from", backups.resolve("f").toString()).expectExit(0);
        assertThat(r.out()).contains("1 restored into");
        relay = RelayFixture.start(data);
        String q = "/api/files/url?key=" + URLEncoder.encode(keptKey, StandardCharsets.UTF_8);
        String url = FrameCodec.parse(relay.api("GET", q, relay.token("alice"), null).body()).get("url").asText();
        HttpResponse<byte[]> download = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(download.statusCode()).isEqualTo(200);
        assertThat(download.body()).isEqualTo(kept);
        // The upload made after the backup went aside with the store it belonged to.
        try (Stream<Path> in = Files.list(data)) {
            Path aside = in.filter(p -> p.getFileName().toString().startsWith("before-restore-")).findFirst().orElseThrow();
            assertThat(aside.resolve("files").resolve(laterKey)).exists();
            assertThat(data.resolve("files").resolve(laterKey)).doesNotExist();
        }
    }

    /** Uploads {@code bytes} as alice (local file store) and returns the key. */
    private String upload(String name, byte[] bytes) throws Exception {
        JsonNode creds = FrameCodec.parse(relay.api("POST", "/api/files/credentials", relay.token("alice"), null).body());
        String key = creds.get("prefix").asText() + name;
        String url = creds.get("uploadUrl").asText() + "?key=" + URLEncoder.encode(key, StandardCharsets.UTF_8)
                + "&token=" + creds.get("token").asText() + "&name=" + URLEncoder.encode(name, StandardCharsets.UTF_8);
        HttpResponse<String> put = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "image/png").PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        return key;
    }

    private static byte[] bytes(int size, long seed) {
        byte[] b = new byte[size];
        new java.util.Random(seed).nextBytes(b);
        b[0] = (byte) 0x89;
        b[1] = 'P';
        b[2] = 'N';
        b[3] = 'G';
        return b;
    }
}

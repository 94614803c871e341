package dev.kefu.relay.desk;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Notes, recall, ratings, block list, quick replies, search, statistics and admin rights, against a real relay. */
class DeskTest {
    @TempDir
    Path data;
    RelayFixture relay;
    String aliceToken;
    String bobToken;

    @BeforeEach
    void start() throws Exception {
        relay = RelayFixture.start(data);
        aliceToken = relay.token("alice");
        bobToken = relay.token("bob");
    }

    @AfterEach
    void stop() {
        relay.close();
    }

    /** A visitor with an open conversation served by alice: [visitor, agent, convId]. */
    private record Chat(WsClient visitor, WsClient agent, String conv, String visitorId) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            visitor.close();
            agent.close();
        }
    }

    private Chat chat() throws Exception {
        WsClient agent = relay.agent("alice");
        agent.next("welcome");
        String vid = RelayFixture.newVisitorId();
        WsClient visitor = relay.visitor(vid);
        visitor.next("welcome");
        visitor.send(new Frame.Send("v1", null, "text", "你好，我的订单还没到", null));
        String conv = visitor.next("ack").get("conv").asText();
        agent.next("msg");
        return new Chat(visitor, agent, conv, vid);
    }

    @Test
    void note_reachesAgents_andNeverTheVisitor_liveOnResumeOrSync() throws Exception {
        try (Chat c = chat(); WsClient bob = relay.agent("bob")) {
            bob.next("welcome");
            c.agent.send(new Frame.Send("n1", c.conv, "note", "VIP customer, be nice 内部备注", null));
            JsonNode ack = c.agent.next("ack");
            assertThat(ack.get("note").asBoolean()).isTrue();
            assertThat(bob.next("note").get("body").asText()).isEqualTo("VIP customer, be nice 内部备注");

            c.agent.send(new Frame.Send("a1", c.conv, "text", "Let me check", null));
            JsonNode reply = c.visitor.next(f -> "msg".equals(f.path("type").asText())
                    && "agent".equals(f.get("from").get("role").asText()), "the agent's reply");
            assertThat(reply.get("seq").asLong()).isEqualTo(2); // the note took no seq: the visitor's stream stays gapless

            c.visitor.send(new Frame.Sync(c.conv, null, 0L, 100));
            JsonNode page = c.visitor.next("msgs");
            assertThat(page.get("items")).hasSize(2);
            assertThat(page.has("notes")).isFalse();
            try (WsClient again = relay.visitor(c.visitorId, Map.of(c.conv, 0L))) {
                again.next("welcome");
                again.collect("msg", 2);
                again.send(new Frame.Ping());
                again.next("pong");
                assertThat(again.drain()).noneMatch(f -> f.toString().contains("内部备注"));
            }
            assertThat(c.visitor.drain()).noneMatch(f -> f.toString().contains("内部备注"));

            try (WsClient later = relay.agent("bob")) {
                later.next("welcome");
                assertThat(later.next("note").get("nseq").asLong()).isEqualTo(1);
                later.send(new Frame.Sync(c.conv, null, 0L, 100));
                assertThat(later.next("msgs").get("notes")).hasSize(1);
            }
            c.visitor.send(new Frame.Send("n2", c.conv, "note", "visitors cannot write notes", null));
            assertThat(c.visitor.next("error").get("code").asText()).isEqualTo("not_allowed");
        }
    }

    @Test
    void recall_withinTheWindow_marksTheMessageForEveryone_andAdminsStillSeeTheOriginal() throws Exception {
        try (Chat c = chat(); WsClient bob = relay.agent("bob")) {
            bob.next("welcome");
            c.visitor.send(new Frame.Recall(c.conv, 1L));
            JsonNode recalled = c.agent.next("recalled");
            assertThat(recalled.get("seq").asLong()).isEqualTo(1);
            c.visitor.next("recalled");

            bob.send(new Frame.Sync(c.conv, null, 0L, 10));
            JsonNode forBob = bob.next("msgs").get("items").get(0);
            assertThat(forBob.get("recalled").asBoolean()).isTrue();
            assertThat(forBob.has("body")).isFalse();
            c.agent.send(new Frame.Sync(c.conv, null, 0L, 10)); // alice is an admin
            JsonNode forAdmin = c.agent.next("msgs").get("items").get(0);
            assertThat(forAdmin.get("recalled").asBoolean()).isTrue();
            assertThat(forAdmin.get("body").asText()).isEqualTo("你好，我的订单还没到");

            c.agent.send(new Frame.Recall(c.conv, 1L));
            assertThat(c.agent.next("error").get("code").asText()).isEqualTo("not_allowed"); // not alice's message
        }
    }

    @Test
    void recall_afterTheWindow_isRefused() throws Exception {
        relay.close();
        relay = RelayFixture.start(data, cfg -> cfg.withRecallWindow(0)); // every message is already too old
        try (Chat c = chat()) {
            c.visitor.send(new Frame.Recall(c.conv, 1L));
            JsonNode err = c.visitor.next("error");
            assertThat(err.get("code").asText()).isEqualTo("not_allowed");
            assertThat(err.get("message").asText()).contains("within");
        }
    }

    @Test
    void rating_isTakenOnceAfterClose() throws Exception {
        try (Chat c = chat()) {
            c.visitor.send(new Frame.Rate(c.conv, 5, "很满意"));
            assertThat(c.visitor.next("error").get("code").asText()).isEqualTo("not_allowed"); // not closed yet
            c.agent.send(new Frame.Close(c.conv));
            c.visitor.next(f -> "conv".equals(f.path("type").asText()) && "closed".equals(f.get("conv").get("status").asText()), "closed");

            c.visitor.send(new Frame.Rate(c.conv, 5, "很满意"));
            JsonNode rated = c.agent.next(f -> "conv".equals(f.path("type").asText()) && f.get("conv").has("rating"), "rating");
            assertThat(rated.get("conv").get("rating").asInt()).isEqualTo(5);
            assertThat(rated.get("conv").get("ratingComment").asText()).isEqualTo("很满意");

            c.visitor.send(new Frame.Rate(c.conv, 1, "changed my mind"));
            assertThat(c.visitor.next("error").get("code").asText()).isEqualTo("not_allowed");
            c.visitor.send(new Frame.Rate(c.conv, 9, null));
            assertThat(c.visitor.next("error").get("code").asText()).isEqualTo("bad_frame");
        }
    }

    @Test
    void blockedVisitor_isDisconnected_andCannotConnectAgain_untilAnAdminUnblocks() throws Exception {
        try (Chat c = chat()) {
            HttpResponse<String> r = relay.api("POST", "/api/blocks", bobToken,
                    "{\"site\":\"shop\",\"visitor\":\"" + c.visitorId + "\",\"reason\":\"spam\"}");
            assertThat(r.statusCode()).isEqualTo(201);
            String blockId = FrameCodec.parse(r.body()).get("id").asText();
            assertThat(c.visitor.next("error").get("code").asText()).isEqualTo("not_allowed");
            assertThat(c.visitor.awaitClose(Duration.ofSeconds(5))).isEqualTo(1008);

            try (WsClient again = relay.visitor(c.visitorId)) {
                assertThat(again.next("error").get("code").asText()).isEqualTo("not_allowed");
                assertThat(again.awaitClose(Duration.ofSeconds(5))).isEqualTo(1008);
            }
            assertThat(relay.api("DELETE", "/api/blocks/" + blockId, bobToken, null).statusCode()).isEqualTo(403);
            assertThat(relay.api("DELETE", "/api/blocks/" + blockId, aliceToken, null).statusCode()).isEqualTo(200);
            try (WsClient back = relay.visitor(c.visitorId)) {
                back.next("welcome");
            }
        }
    }

    @Test
    void quickReplies_personalAndShared_areListedOnHelloAndPushedOnChange() throws Exception {
        HttpResponse<String> shared = relay.api("POST", "/api/quick-replies", aliceToken,
                "{\"shortcut\":\"/hi\",\"text\":\"您好，请问有什么可以帮您？\",\"shared\":true}");
        assertThat(shared.statusCode()).isEqualTo(201);
        assertThat(relay.api("POST", "/api/quick-replies", bobToken,
                "{\"shortcut\":\"x\",\"text\":\"y\",\"shared\":true}").statusCode()).isEqualTo(403);
        try (WsClient bob = relay.agent("bob")) {
            bob.next("welcome");
            JsonNode list = bob.next("quickReplies");
            assertThat(list.get("items")).hasSize(1);
            assertThat(list.get("items").get(0).get("shortcut").asText()).isEqualTo("hi");
            assertThat(list.get("items").get(0).get("shared").asBoolean()).isTrue();

            HttpResponse<String> mine = relay.api("POST", "/api/quick-replies", bobToken,
                    "{\"shortcut\":\"bye\",\"text\":\"再见 👋\"}");
            assertThat(mine.statusCode()).isEqualTo(201);
            JsonNode pushed = bob.next("quickReplies");
            assertThat(pushed.get("items")).extracting(q -> q.get("text").asText()).contains("再见 👋");

            String id = FrameCodec.parse(mine.body()).get("id").asText();
            assertThat(relay.api("PUT", "/api/quick-replies/" + id, aliceToken, "{\"shortcut\":\"bye\",\"text\":\"z\"}")
                    .statusCode()).isEqualTo(403); // someone else's personal reply
            assertThat(relay.api("DELETE", "/api/quick-replies/" + id, bobToken, null).statusCode()).isEqualTo(200);
            assertThat(bob.next("quickReplies").get("items")).hasSize(1);
        }
    }

    @ParameterizedTest
    @CsvSource({"订单还没, 1", "订单, 1", "没到, 1", "ORDER, 1", "不存在的词, 0"})
    void search_findsWordsInsideSentences_chineseIncluded(String word, int hits) throws Exception {
        try (Chat c = chat()) {
            c.agent.send(new Frame.Send("a1", c.conv, "text", "Your order ships today", null));
            c.agent.next("ack");
            String q = URLEncoder.encode(word, StandardCharsets.UTF_8);
            HttpResponse<String> r = relay.api("GET", "/api/search?q=" + q, bobToken, null);
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode found = FrameCodec.parse(r.body()).get("hits");
            assertThat(found).hasSize(hits);
            if (hits > 0) {
                assertThat(found.get(0).get("conv").asText()).isEqualTo(c.conv);
                assertThat(found.get(0).get("visitor").asText()).isEqualTo(c.visitorId);
            }
            HttpResponse<String> byVisitor = relay.api("GET", "/api/visitors/shop/" + c.visitorId + "/conversations",
                    bobToken, null);
            assertThat(FrameCodec.parse(byVisitor.body()).get("conversations")).hasSize(1);
        }
    }

    @Test
    void statistics_countWhatHappened() throws Exception {
        try (Chat c = chat()) {
            c.agent.send(new Frame.Send("a1", c.conv, "text", "On its way", null));
            c.agent.send(new Frame.Send("a2", c.conv, "text", "Anything else?", null));
            c.agent.collect("ack", 2);
            c.agent.send(new Frame.Close(c.conv));
            c.visitor.next(f -> "conv".equals(f.path("type").asText()) && "closed".equals(f.get("conv").get("status").asText()), "closed");
            c.visitor.send(new Frame.Rate(c.conv, 4, null));
            c.agent.next(f -> "conv".equals(f.path("type").asText()) && f.get("conv").has("rating"), "rated");
        }
        try (WsClient unanswered = relay.visitor(RelayFixture.newVisitorId())) { // nobody ever answers this one
            unanswered.next("welcome");
            unanswered.send(new Frame.Send("u1", null, "text", "hello?", null));
            unanswered.next("ack");
        }
        String today = LocalDate.now(java.time.ZoneId.of("UTC")).toString();
        HttpResponse<String> r = relay.api("GET", "/api/stats?from=" + today + "&to=" + today + "&tz=UTC", aliceToken, null);
        assertThat(r.statusCode()).isEqualTo(200);
        List<JsonNode> rows = new java.util.ArrayList<>();
        FrameCodec.parse(r.body()).get("rows").forEach(rows::add);
        JsonNode alice = rows.stream().filter(x -> "Alice 小爱".equals(x.path("agentName").asText())).findFirst().orElseThrow();
        assertThat(alice.get("conversations").asInt()).isEqualTo(1);
        assertThat(alice.get("messages").asInt()).isEqualTo(2);
        assertThat(alice.get("ratingAvg").asDouble()).isEqualTo(4.0);
        assertThat(alice.get("firstResponseMedianSec").asDouble()).isGreaterThanOrEqualTo(0);
        assertThat(alice.get("missed").asInt()).isZero();
        JsonNode nobody = rows.stream().filter(x -> x.get("agentId").isNull()).findFirst().orElseThrow();
        assertThat(nobody.get("missed").asInt()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "GET    | /api/admin/sites          |",
            "POST   | /api/admin/sites          | {\"key\":\"new\"}",
            "PUT    | /api/admin/sites/shop     | {\"welcome\":\"hi\"}",
            "GET    | /api/admin/agents         |",
            "POST   | /api/admin/agents         | {\"username\":\"eve\",\"password\":\"long enough pw\"}",
            "PUT    | /api/admin/agents/whoever | {\"capacity\":9}",
            "GET    | /api/stats                |",
            "DELETE | /api/blocks/b1            |",
            "POST   | /api/quick-replies        | {\"shortcut\":\"s\",\"text\":\"t\",\"shared\":true}",
    })
    void nonAdmin_getsNotAllowed_onEveryAdminOperation(String method, String path, String body) throws Exception {
        HttpResponse<String> r = relay.api(method, path, bobToken, body);
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(FrameCodec.parse(r.body()).get("code").asText()).isEqualTo("not_allowed");
    }

    @Test
    void noToken_is401_andBadInputIs400() throws Exception {
        assertThat(relay.api("GET", "/api/agents", "forged", null).statusCode()).isEqualTo(401);
        assertThat(relay.api("PUT", "/api/admin/sites/shop", aliceToken, "{\"assignment\":\"random\"}").statusCode()).isEqualTo(400);
        assertThat(relay.api("PUT", "/api/admin/sites/shop", aliceToken, "{\"businessHours\":{\"week\":{\"mon\":[\"9-5\"]}}}")
                .statusCode()).isEqualTo(400);
        assertThat(relay.api("PUT", "/api/admin/sites/shop", aliceToken, "not json").statusCode()).isEqualTo(400);
        assertThat(relay.api("GET", "/api/search", aliceToken, null).statusCode()).isEqualTo(400);
    }

    @Test
    void typingPreviewOff_agentsSeeThatTheVisitorTypes_butNotTheText() throws Exception {
        assertThat(relay.api("PUT", "/api/admin/sites/shop", aliceToken, "{\"typingPreview\":false}").statusCode()).isEqualTo(200);
        try (Chat c = chat()) {
            c.visitor.send(new Frame.Typing(c.conv, "my secret draft", null));
            JsonNode typing = c.agent.next("typing");
            assertThat(typing.has("text")).isFalse();
        }
    }

    @Test
    void adminCreatesAnAgent_whoCanLogIn_andDisablingItDisconnectsIt() throws Exception {
        HttpResponse<String> created = relay.api("POST", "/api/admin/agents", aliceToken,
                "{\"username\":\"dave\",\"password\":\"dave's password\",\"name\":\"Dave\",\"capacity\":3}");
        assertThat(created.statusCode()).isEqualTo(201);
        String daveId = FrameCodec.parse(created.body()).get("id").asText();
        try (WsClient dave = relay.agent("dave")) {
            // relay.agent logs in with the fixture password; dave has his own
        } catch (Exception expected) {
            // a wrong password makes login fail: fine
        }
        assertThat(relay.login("dave", "dave's password").get("agent").get("name").asText()).isEqualTo("Dave");
        String token = relay.login("dave", "dave's password").get("token").asText();
        try (WsClient dave = WsClient.connect(relay.ws("/ws/agent"))) {
            dave.send(new Frame.Hello("agent", null, token, null, null, null));
            dave.next("welcome");
            assertThat(relay.api("PUT", "/api/admin/agents/" + daveId, aliceToken, "{\"disabled\":true}").statusCode())
                    .isEqualTo(200);
            assertThat(dave.next("error").get("code").asText()).isEqualTo("bad_token");
            assertThat(dave.awaitClose(Duration.ofSeconds(5))).isEqualTo(1008);
        }
        assertThat(relay.login("dave", "dave's password").has("token")).isFalse();
    }
}

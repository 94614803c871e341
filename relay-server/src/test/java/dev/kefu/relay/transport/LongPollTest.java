package dev.kefu.relay.transport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.relay.auth.VisitorIdentity;
import dev.kefu.relay.config.RelayConfig;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayTest;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class LongPollTest extends RelayTest {
    @Override
    protected RelayConfig configure(RelayConfig c) {
        return c.withLongPoll(2, 3);
    }

    @Test
    void longPollVisitor_chatsWithWebSocketAgent() throws Exception {
        String vid = RelayFixture.newVisitorId();
        try (WsClient agent = relay.agent("alice"); LongPollClient visitor = new LongPollClient(relay.relay.httpUri())) {
            agent.next("welcome");
            assertThat(visitor.open(RelayFixture.visitorHello(vid, Map.of()))).isEqualTo(200);
            assertThat(visitor.next("welcome").get("you").get("id").asText()).isEqualTo(vid);
            visitor.startPolling();

            HttpResponse<String> sent = visitor.send(new Frame.Send("c1", null, "text", "长轮询 works 🚀", null),
                    new Frame.Send("c2", null, "text", "second", null));
            assertThat(sent.statusCode()).isEqualTo(200);
            List<JsonNode> acks = visitor.collect("ack", 2);
            String conv = acks.get(0).get("conv").asText();
            assertThat(acks).extracting(a -> a.get("seq").asLong()).containsExactly(1L, 2L);
            assertThat(agent.collect("msg", 2)).extracting(m -> m.get("body").asText())
                    .containsExactly("长轮询 works 🚀", "second");

            agent.send(new Frame.Send("a1", conv, "text", "reply over poll", null));
            assertThat(visitor.next(f -> "msg".equals(f.path("type").asText()) && f.get("seq").asLong() == 3, "reply")
                    .get("body").asText()).isEqualTo("reply over poll");
        }
    }

    @Test
    void visitorSwitchingFromLongPollToWebSocket_losesNothing() throws Exception {
        String vid = RelayFixture.newVisitorId();
        try (WsClient agent = relay.agent("alice")) {
            agent.next("welcome");
            String conv;
            try (LongPollClient lp = new LongPollClient(relay.relay.httpUri())) {
                lp.open(RelayFixture.visitorHello(vid, Map.of()));
                lp.startPolling();
                lp.send(new Frame.Send("c1", null, "text", "over long-poll", null));
                conv = lp.next("ack").get("conv").asText();
                lp.next("msg");
            }
            // messages arrive while the visitor is between transports
            agent.send(new Frame.Send("a1", conv, "text", "one", null));
            agent.send(new Frame.Send("a2", conv, "text", "two", null));
            agent.collect("ack", 2);
            try (WsClient ws = relay.visitor(vid, Map.of(conv, 1L))) {
                ws.next("welcome");
                assertThat(ws.collect("msg", 2)).extracting(m -> m.get("body").asText()).containsExactly("one", "two");
                ws.send(new Frame.Send("c1", null, "text", "over long-poll", null));
                assertThat(ws.next("ack").get("seq").asLong()).isEqualTo(1); // same cid across transports: same message
                ws.send(new Frame.Send("c2", null, "text", "over websocket", null));
                assertThat(ws.next("ack").get("seq").asLong()).isEqualTo(4);
            }
        }
    }

    @Test
    void emptyPoll_answersWithinThePollWindow() throws Exception {
        try (LongPollClient visitor = new LongPollClient(relay.relay.httpUri())) {
            visitor.open(RelayFixture.visitorHello(RelayFixture.newVisitorId(), Map.of()));
            long start = System.nanoTime();
            HttpResponse<String> r = relay.get("/lp/poll?lp=" + visitor.lp);
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(FrameCodec.parse(r.body()).get("frames")).isEmpty();
            assertThat(ms).isBetween(1500L, 10_000L);
        }
    }

    @Test
    void unpolledSession_expires_andAnswersUnknownSession() throws Exception {
        String vid = RelayFixture.newVisitorId();
        try (WsClient agent = relay.agent("alice"); LongPollClient visitor = new LongPollClient(relay.relay.httpUri())) {
            agent.next("welcome");
            visitor.open(RelayFixture.visitorHello(vid, Map.of()));
            agent.next(f -> "visitor".equals(f.path("type").asText()) && "online".equals(f.get("event").asText()), "online");
            // nobody polls: after the 3 s TTL the visitor goes offline
            agent.next(f -> "visitor".equals(f.path("type").asText()) && "offline".equals(f.get("event").asText()), "offline");
            HttpResponse<String> r = relay.get("/lp/poll?lp=" + visitor.lp);
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(FrameCodec.parse(r.body()).get("frames").get(0).get("code").asText()).isEqualTo("unknown_session");
            HttpResponse<String> s = visitor.send(new Frame.Ping());
            assertThat(s.statusCode()).isEqualTo(404);
        }
    }

    @Test
    void refusedOpen_answersTheErrorWith4xx() throws Exception {
        try (LongPollClient visitor = new LongPollClient(relay.relay.httpUri())) {
            int status = visitor.open(new Frame.Hello("visitor", "no-such-site", null,
                    new Frame.VisitorInfo(RelayFixture.newVisitorId(), null, null, null, null, null), null, null));
            assertThat(status).isEqualTo(404);
            assertThat(visitor.lp).isNull();
            assertThat(visitor.next("error").get("code").asText()).isEqualTo("unknown_site");
        }
        HttpResponse<String> notJson = relay.post("/lp/open", "{oops");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(FrameCodec.parse(notJson.body()).get("frames").get(0).get("code").asText()).isEqualTo("hello_required");
    }

    @Test
    void signedVisitorOverLongPoll_isTheUsersOneVisitor_andAnAnonymousOpenOfItsIdIsRefused() throws Exception {
        String phoneId = RelayFixture.newVisitorId();
        String hash = VisitorIdentity.userHash(RelayFixture.SITE_SECRET, "42");
        try (WsClient phone = WsClient.connect(relay.ws("/ws/visitor"))) {
            phone.send(new Frame.Hello("visitor", RelayFixture.SITE, null,
                    new Frame.VisitorInfo(phoneId, null, null, null, "42", hash), null, null));
            phone.next("welcome");
        }
        try (LongPollClient laptop = new LongPollClient(relay.relay.httpUri())) {
            assertThat(laptop.open(new Frame.Hello("visitor", RelayFixture.SITE, null,
                    new Frame.VisitorInfo(RelayFixture.newVisitorId(), null, null, null, "42", hash), null, null)))
                    .isEqualTo(200);
            assertThat(laptop.next("welcome").get("you").get("id").asText()).isEqualTo(phoneId);
        }
        try (LongPollClient loggedOut = new LongPollClient(relay.relay.httpUri())) {
            assertThat(loggedOut.open(RelayFixture.visitorHello(phoneId, Map.of()))).isEqualTo(403);
            assertThat(loggedOut.lp).isNull();
            assertThat(loggedOut.next("error").get("code").asText()).isEqualTo("identity_required");
        }
    }

    @Test
    void corsPreflight_andAnswers_allowTheCallingOrigin() throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        var pre = http.send(java.net.http.HttpRequest.newBuilder(relay.http("/lp/send?lp=x"))
                .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://shop.example").header("Access-Control-Request-Method", "POST").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(pre.statusCode()).isEqualTo(204);
        assertThat(pre.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://shop.example");
    }
}

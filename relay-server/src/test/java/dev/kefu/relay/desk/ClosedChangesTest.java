package dev.kefu.relay.desk;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayTest;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /api/conversations?changedSince=}: what an agent's app that was away missed about
 * conversations that are no longer live (closes, and ratings given after the close), against a real relay.
 */
class ClosedChangesTest extends RelayTest {
    String bobToken;

    @BeforeEach
    void logIn() throws Exception {
        bobToken = relay.token("bob");
    }

    /** A conversation of a new visitor, answered by alice and closed; the visitor is left connected. */
    private record Closed(WsClient visitor, String conv) {}

    private Closed closedConversation(WsClient alice, String text) throws Exception {
        WsClient visitor = relay.visitor(RelayFixture.newVisitorId());
        visitor.next("welcome");
        visitor.send(new Frame.Send("v1", null, "text", text, null));
        String conv = visitor.next("ack").get("conv").asText();
        alice.send(new Frame.Send("a-" + conv, conv, "text", "Done, thanks", null));
        alice.next(f -> "ack".equals(f.path("type").asText()) && conv.equals(f.path("conv").asText()), "the reply's ack");
        alice.send(new Frame.Close(conv));
        visitor.next(f -> "conv".equals(f.path("type").asText()) && "closed".equals(f.get("conv").get("status").asText()),
                "the close");
        return new Closed(visitor, conv);
    }

    private JsonNode changes(String token, long since, String extra) throws Exception {
        return relay.apiOk("/api/conversations?changedSince=" + since + extra, token);
    }

    private static List<String> ids(JsonNode answer) {
        return RelayFixture.conversationIds(answer);
    }

    @Test
    void changedSince_listsClosesAndLaterRatings_notLiveConversations_oldestChangeFirst() throws Exception {
        try (WsClient alice = relay.agent("alice")) {
            alice.next("welcome");
            long before = System.currentTimeMillis();
            Closed first = closedConversation(alice, "where is my parcel?");
            WsClient live = relay.visitor(RelayFixture.newVisitorId());
            live.next("welcome");
            live.send(new Frame.Send("l1", null, "text", "still chatting", null));
            String liveConv = live.next("ack").get("conv").asText();

            JsonNode closes = changes(bobToken, before, "");
            assertThat(ids(closes)).containsExactly(first.conv());
            JsonNode info = closes.get("conversations").get(0);
            assertThat(info.get("status").asText()).isEqualTo("closed");
            assertThat(info.has("rating")).isFalse();
            long closedAt = info.get("changedAt").asLong();
            assertThat(closedAt).isGreaterThanOrEqualTo(before);
            assertThat(closes.get("more").asBoolean()).isFalse();

            // after the close, nothing until the visitor rates; then the rating, with a later changedAt
            assertThat(ids(changes(bobToken, closedAt + 1, ""))).isEmpty();
            first.visitor().send(new Frame.Rate(first.conv(), 5, "很满意 very happy"));
            first.visitor().next(f -> "conv".equals(f.path("type").asText()) && f.get("conv").has("rating"), "the rating");
            JsonNode rated = changes(bobToken, closedAt + 1, "");
            assertThat(ids(rated)).containsExactly(first.conv());
            assertThat(rated.get("conversations").get(0).get("rating").asInt()).isEqualTo(5);
            assertThat(rated.get("conversations").get(0).get("ratingComment").asText()).isEqualTo("很满意 very happy");
            assertThat(rated.get("conversations").get(0).get("changedAt").asLong()).isGreaterThan(closedAt);
            assertThat(ids(changes(bobToken, before, ""))).doesNotContain(liveConv);
            first.visitor().close();
            live.close();
        }
    }

    @Test
    void changedSince_pagesByLimit_fromTheLastChangedAt_andOnlyOverTheAgentsSites() throws Exception {
        try (WsClient alice = relay.agent("alice")) {
            alice.next("welcome");
            long before = System.currentTimeMillis();
            List<String> closed = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Closed c = closedConversation(alice, "question " + i);
                closed.add(c.conv());
                c.visitor().close();
            }
            JsonNode page1 = changes(bobToken, before, "&limit=2");
            assertThat(ids(page1)).containsExactlyElementsOf(closed.subList(0, 2));
            assertThat(page1.get("more").asBoolean()).isTrue();
            long next = page1.get("conversations").get(1).get("changedAt").asLong();
            JsonNode page2 = changes(bobToken, next, "&limit=2");
            assertThat(ids(page2)).contains(closed.get(2)).doesNotContain(closed.get(0));
            assertThat(page2.get("more").asBoolean()).isFalse();

            // carol serves the "strict" site only
            assertThat(ids(changes(relay.token("carol"), before, ""))).isEmpty();
        }
    }

    @ParameterizedTest
    @CsvSource({
            "/api/conversations,                          400",
            "/api/conversations?changedSince=x,           400",
            "/api/conversations?changedSince=0&limit=0,   400",
            "/api/conversations?changedSince=0&limit=1001, 400",
    })
    void changedSince_malformed_isRefusedWithBadFrame(String path, int status) throws Exception {
        HttpResponse<String> r = relay.api("GET", path, bobToken, null);
        assertThat(r.statusCode()).isEqualTo(status);
        assertThat(FrameCodec.parse(r.body()).get("code").asText()).isEqualTo("bad_frame");
    }

    @Test
    void changedSince_withoutAToken_isRefused() throws Exception {
        HttpResponse<String> r = relay.api("GET", "/api/conversations?changedSince=0", "not-a-token", null);
        assertThat(r.statusCode()).isEqualTo(401);
    }
}

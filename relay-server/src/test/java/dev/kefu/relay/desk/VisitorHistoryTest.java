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
 * {@code GET /api/visitors/{site}/{visitorId}/conversations}: a visitor's conversations newest first,
 * paged back with {@code before} (the id of the last conversation of the previous page) and
 * {@code limit}, and {@code more} saying whether a next page exists. Against a real relay.
 */
class VisitorHistoryTest extends RelayTest {
    String bobToken;

    @BeforeEach
    void logIn() throws Exception {
        bobToken = relay.token("bob");
    }

    /** {@code n} conversations of {@code visitorId}, each opened by a message and closed by the visitor; oldest first. */
    private List<String> conversations(String visitorId, int n) throws Exception {
        List<String> ids = new ArrayList<>();
        try (WsClient visitor = relay.visitor(visitorId)) {
            for (int i = 0; i < n; i++) {
                String conv = visitor.say("question " + i).path("conv").asText();
                visitor.send(new Frame.Close(conv));
                visitor.next(f -> "conv".equals(f.path("type").asText()) && conv.equals(f.path("conv").path("id").asText())
                        && "closed".equals(f.path("conv").path("status").asText()), "the close of " + conv);
                ids.add(conv);
            }
        }
        return ids;
    }

    private HttpResponse<String> list(String visitorId, String query) throws Exception {
        return relay.api("GET", "/api/visitors/" + RelayFixture.SITE + "/" + visitorId + "/conversations" + query,
                bobToken, null);
    }

    private JsonNode page(String visitorId, String query) throws Exception {
        return relay.apiOk("/api/visitors/" + RelayFixture.SITE + "/" + visitorId + "/conversations" + query, bobToken);
    }

    private static List<String> ids(JsonNode answer) {
        return RelayFixture.conversationIds(answer);
    }

    @Test
    void pagesBackByTheLastId_newestFirst_eachConversationOnce() throws Exception {
        String visitorId = RelayFixture.newVisitorId();
        List<String> oldestFirst = conversations(visitorId, 5);
        List<String> newestFirst = new ArrayList<>(oldestFirst);
        java.util.Collections.reverse(newestFirst);

        JsonNode all = page(visitorId, "");
        assertThat(ids(all)).as("no cursor: the newest, up to 100").containsExactlyElementsOf(newestFirst);
        assertThat(all.get("more").asBoolean()).isFalse();

        JsonNode first = page(visitorId, "?limit=2");
        assertThat(ids(first)).containsExactlyElementsOf(newestFirst.subList(0, 2));
        assertThat(first.get("more").asBoolean()).isTrue();
        JsonNode second = page(visitorId, "?limit=2&before=" + ids(first).get(1));
        assertThat(ids(second)).containsExactlyElementsOf(newestFirst.subList(2, 4));
        assertThat(second.get("more").asBoolean()).isTrue();
        JsonNode last = page(visitorId, "?limit=2&before=" + ids(second).get(1));
        assertThat(ids(last)).containsExactly(newestFirst.get(4));
        assertThat(last.get("more").asBoolean()).isFalse();
        assertThat(last.get("conversations").get(0).get("status").asText()).isEqualTo("closed");

        assertThat(ids(page(visitorId, "?before=" + newestFirst.get(4)))).as("before the oldest: nothing").isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "an unknown conversation,            ?before=c-no-such-conversation",
            "another visitor's conversation,     ?before=OTHER",
            "limit 0,                            ?limit=0",
            "limit above 100,                    ?limit=101",
            "limit not a number,                 ?limit=ten",
    })
    void refusesACursorOfAnotherVisitor_andLimitsOutOfRange(String what, String query) throws Exception {
        String visitorId = RelayFixture.newVisitorId();
        conversations(visitorId, 1);
        String other = conversations(RelayFixture.newVisitorId(), 1).get(0);

        HttpResponse<String> r = list(visitorId, query.replace("OTHER", other));

        assertThat(r.statusCode()).as(what).isEqualTo(400);
        assertThat(FrameCodec.parse(r.body()).get("code").asText()).isEqualTo("bad_frame");
    }
}

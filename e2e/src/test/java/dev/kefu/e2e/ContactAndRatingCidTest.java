package dev.kefu.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.e2e.harness.ShopPage;
import dev.kefu.e2e.harness.TestRelay;
import dev.kefu.e2e.harness.WidgetPage;
import dev.kefu.e2e.harness.WidgetPage.Bubble;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The widget sends its contact details and its rating each with a cid of its own, and takes an
 * error as the answer to one of them only when the error names that cid (the relay's welcome says
 * it echoes them). Both are in flight at once here: the page's WebSocket tap holds the widget's
 * frames back, as a slow uplink would, and releases them together.
 */
class ContactAndRatingCidTest extends BrowserTest {

    @Test
    void contactAndRatingInFlight_theRatingRefused_theRefusalGoesToTheRating_notTheOlderContact() throws Exception {
        TestRelay relay = closeAfter(TestRelay.start(data));
        WsClient agent = closeAfter(relay.agent());
        Chat chat = openChatWithAgent(relay, agent);
        WidgetPage widget = chat.widget();
        String conv = chat.conv();

        holdTheWidgetsFrames(widget);
        widget.find("contact-open").click();
        widget.submitContact("李雷 🦊", null, "li.lei@example.com", null).awaitCard("contact", "pending");
        agent.send(new Frame.Close(conv));
        widget.awaitCard("rate", "form");
        // On its way out the rating gets a score the relay refuses (bad_frame, at once, naming its cid),
        // while the contact's answer waits for the store: the refusal comes first.
        widget.js("kefuTap.rewrite = function (text) {"
                + " var f = JSON.parse(text); if (f.type !== 'rate') return text; f.score = 0; return JSON.stringify(f); };");
        widget.rate(4, "很快 👍");
        widget.find("r-submit").click();
        widget.awaitCard("rate", "pending");
        List<JsonNode> held = heldContactAndRate(widget);
        assertThat(held).extracting(f -> f.path("type").asText()).containsExactly("contact", "rate");
        assertThat(held.get(0).path("cid").asText()).isNotEmpty().isNotEqualTo(held.get(1).path("cid").asText());

        widget.js("kefuTap.release();");

        widget.awaitCard("rate", "failed");
        widget.awaitCard("contact", "sent");
        JsonNode refusal = received(widget, "error").get(0);
        assertThat(refusal.path("cid").asText()).isEqualTo(held.get(1).path("cid").asText());
        JsonNode stored = relay.api("/api/visitors/" + TestRelay.SITE + "/" + widget.visitorId() + "/conversations")
                .get("conversations").get(0);
        assertThat(stored.path("contact").path("name").asText()).isEqualTo("李雷 🦊");
        assertThat(stored.has("rating")).isFalse();
    }

    @Test
    void anotherFramesCidlessError_whileTheContactIsInFlight_isNotTakenForTheContactsAnswer() throws Exception {
        TestRelay relay = closeAfter(TestRelay.start(data));
        WsClient agent = closeAfter(relay.agent());
        WidgetPage widget = openChatWithAgent(relay, agent).widget();

        holdTheWidgetsFrames(widget);
        widget.find("contact-open").click();
        widget.submitContact("王芳 ✈️", "+86 138 0013 8000", null, null).awaitCard("contact", "pending");
        // Behind it on the same connection, a frame the relay refuses with an error that names no cid.
        widget.js("kefuTap.inject({ type: 'sync', conv: 'no-such-conversation', after: 0 });");

        widget.js("kefuTap.release();");

        widget.awaitCard("contact", "sent");
        assertThat(received(widget, "error")).singleElement().satisfies(e -> {
            assertThat(e.path("code").asText()).isEqualTo("unknown_conv");
            assertThat(e.has("cid")).isFalse();
        });
        JsonNode stored = relay.api("/api/visitors/" + TestRelay.SITE + "/" + widget.visitorId() + "/conversations")
                .get("conversations").get(0);
        assertThat(stored.path("contact").path("name").asText()).isEqualTo("王芳 ✈️");
    }

    private record Chat(WidgetPage widget, String conv) {}

    /** A page whose widget chats with {@code agent} in {@code conv}: the visitor wrote, the agent took it and answered. */
    private Chat openChatWithAgent(TestRelay relay, WsClient agent) throws Exception {
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl()).tappingWebSocket()))
                .awaitConnected().openPanel();
        assertThat(received(widget, "welcome").get(0).path("cidEcho").asBoolean()).isTrue();
        widget.type("你好，我想退货 🙏");
        String conv = agent.nextVisitorMessage().get("conv").asText();
        agent.send(new Frame.Accept(conv));
        agent.reply(conv, "好的，已为您办理 ✅");
        widget.awaitMessages(2, "the reply shown", Bubble::acked);
        return new Chat(widget, conv);
    }

    private static void holdTheWidgetsFrames(WidgetPage widget) {
        widget.js("kefuTap.holding = true;");
    }

    private static List<JsonNode> heldContactAndRate(WidgetPage widget) throws Exception {
        return FrameCodec.parseArray((String) widget.js("return JSON.stringify(kefuTap.held.map(function (h) {"
                + " return JSON.parse(h[1]); }).filter(function (f) { return f.type === 'contact' || f.type === 'rate'; }));"));
    }

    /** The frames of {@code type} the widget's connection received so far, oldest first. */
    private static List<JsonNode> received(WidgetPage widget, String type) {
        try {
            return FrameCodec.parseArray((String) widget.js("var type = arguments[0];"
                    + " return JSON.stringify(kefuTap.received.filter(function (f) { return f.type === type; }));", type));
        } catch (Exception e) {
            throw new AssertionError("unreadable frames from the tap", e);
        }
    }
}

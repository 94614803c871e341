package dev.kefu.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.agent.cache.ChatCache;
import dev.kefu.agent.login.AgentAccount;
import dev.kefu.agent.testing.AgentWindow;
import dev.kefu.agent.testing.Screenshots;
import dev.kefu.agent.testing.TestRelay;
import dev.kefu.agent.testing.UiTest;
import dev.kefu.protocol.ConvStatus;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.relay.testing.WsClient;
import javafx.scene.control.ScrollPane;
import org.junit.jupiter.api.Test;
import org.testfx.util.WaitForAsyncUtils;

import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A gap in the middle of a cached conversation, in a real window (X display required) against a real
 * relay: the app's cache file holds messages 1..50 and 300..320 of a closed conversation of 320 (as
 * after the app was away while it went on and a replay was cut short; {@code HistoryGapTest} makes
 * the gap that way). The chat shows 300..320; scrolling its messages to the top fetches 51..299 from
 * the relay, page by page, and the chat ends up showing 1..320, each once, in order. Offline,
 * scrolling up says that earlier messages are not on this computer yet; once the relay is back they
 * load by themselves. Screenshot {@code chat-history-gap-offline.png}.
 */
class HistoryGapUiTest extends UiTest {
    private static final int TOTAL = 320;
    private static final int CACHED_START = 50;
    private static final int CACHED_END_FROM = 300;

    @Test
    void scrollingUpToAGap_fetchesTheMissingMessages_everyMessageOnceInOrder() throws Exception {
        String conv = gapInTheCache();
        launch();
        open(conv);

        scrollToTheTop();
        assertThat(WaitForAsyncUtils.asyncFx(this::bubbleTexts).get()).as("every message once, in order")
                .isEqualTo(messages(1, TOTAL));
        assertThat(textIn("#chatNotice")).hasValue("");
    }

    @Test
    void scrollingUpToAGapOffline_saysHistoryIsNotLoadedYet_andFillsItInWhenTheRelayIsBack() throws Exception {
        String conv = gapInTheCache();
        launch();
        int port = relay.port();
        relay.close();
        waitUntil(() -> !app.session().status().isOnline());
        open(conv);

        scrollUp();
        waitUntil(() -> text("#chatNotice").filter(t -> !t.isEmpty()).isPresent());
        assertThat(textIn("#chatNotice")).hasValue(
                "Earlier messages of this conversation are not on this computer yet; they load when the relay is back.");
        assertThat(WaitForAsyncUtils.asyncFx(this::bubbleTexts).get()).as("what the cache holds above the gap")
                .isEqualTo(messages(CACHED_END_FROM, TOTAL));
        Screenshots.save(app.stage().getScene(), "chat-history-gap-offline.png");

        relay = TestRelay.start(relayDir, port);
        waitUntil(() -> bubbleTexts().equals(messages(CACHED_END_FROM - 50, TOTAL)) && text("#chatNotice").orElse("x").isEmpty());
        scrollToTheTop();
        assertThat(WaitForAsyncUtils.asyncFx(this::bubbleTexts).get()).isEqualTo(messages(1, TOTAL));
    }

    /**
     * A visitor's closed conversation of {@link #TOTAL} messages on the relay, of which the app's cache
     * file (before the app starts) holds 1..{@link #CACHED_START} and {@link #CACHED_END_FROM}..{@link #TOTAL},
     * as the relay sent them.
     */
    private String gapInTheCache() throws Exception {
        String visitorId = TestRelay.newVisitorId();
        String conv;
        List<JsonNode> stored;
        try (WsClient visitor = relay.visitor(visitorId, "Li Lei 李雷")) {
            conv = visitor.say("message 1").path("conv").asText();
            String last = null;
            for (int i = 2; i <= TOTAL; i++) {
                last = visitor.reply(conv, "message " + i);
            }
            String cid = last;
            visitor.next(f -> "ack".equals(f.path("type").asText()) && cid.equals(f.path("cid").asText()), "the last ack");
            stored = visitor.history(conv);
            visitor.send(new Frame.Close(conv));
            visitor.next(f -> "conv".equals(f.path("type").asText()) && "closed".equals(f.path("conv").path("status").asText()),
                    "the close");
        }
        assertThat(stored).hasSize(TOTAL);
        AgentAccount alice = relay.login("alice");
        try (ChatCache cache = ChatCache.open(ChatCache.fileFor(dataDir, alice.server().fileKey(), alice.username()))) {
            cache.upsertConversation(new Frame.ConvInfo(conv, TestRelay.SITE, ConvStatus.CLOSED, visitorId, "Li Lei 李雷",
                    null, null, TOTAL, stored.get(0).path("ts").asLong()));
            for (JsonNode m : stored) {
                long seq = m.path("seq").asLong();
                if (seq <= CACHED_START || seq >= CACHED_END_FROM) {
                    cache.storeMessage((Frame.Msg) FrameCodec.decode(m), alice.agentId());
                }
            }
        }
        return conv;
    }

    /** Starts the app and waits until it is online. */
    private void launch() throws Exception {
        app = AgentWindow.launch(relay, TestRelay.PASSWORD, dataDir);
        waitUntil(() -> app.session() != null && app.session().status().isOnline() && app.mainView() != null);
    }

    /** Opens {@code conv} and waits for the newest part of the cache: 300..320. */
    private void open(String conv) throws Exception {
        WaitForAsyncUtils.asyncFx(() -> app.mainViewModel().open(conv)).get();
        waitUntil(() -> bubbleTexts().equals(messages(CACHED_END_FROM, TOTAL)));
    }

    /** Scrolls the messages up to the top, as often as it takes to show message 1 (each time loads a page). */
    private void scrollToTheTop() throws Exception {
        for (int page = 0; page < 20 && !WaitForAsyncUtils.asyncFx(() -> bubbleTexts().get(0)).get().equals("message 1"); page++) {
            int shown = WaitForAsyncUtils.asyncFx(() -> bubbleTexts().size()).get();
            scrollUp();
            waitUntil(() -> bubbleTexts().size() > shown);
        }
        assertThat(WaitForAsyncUtils.asyncFx(() -> bubbleTexts().get(0)).get()).isEqualTo("message 1");
    }

    /**
     * Once the messages shown are laid out taller than the view (the chat loads more only then),
     * moves the scroll bar down a little, then to the top, as an agent scrolling up does.
     */
    private void scrollUp() throws Exception {
        waitUntil(() -> {
            ScrollPane scroll = (ScrollPane) root().lookup("#messagesScroll");
            return scroll.getContent().getLayoutBounds().getHeight() > scroll.getViewportBounds().getHeight();
        });
        WaitForAsyncUtils.asyncFx(() -> {
            ScrollPane scroll = (ScrollPane) root().lookup("#messagesScroll");
            scroll.setVvalue(scroll.getVmax() / 2);
            scroll.setVvalue(scroll.getVmin());
        }).get();
    }

    private static List<String> messages(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(i -> "message " + i).toList();
    }
}

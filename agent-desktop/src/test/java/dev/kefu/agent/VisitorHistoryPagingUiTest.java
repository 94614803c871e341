package dev.kefu.agent;

import dev.kefu.agent.chat.ConversationListViewModel;
import dev.kefu.agent.testing.AgentWindow;
import dev.kefu.agent.testing.TestRelay;
import dev.kefu.agent.testing.UiTest;
import dev.kefu.protocol.Frame;
import dev.kefu.relay.testing.WsClient;
import javafx.scene.Node;
import javafx.scene.control.Hyperlink;
import org.junit.jupiter.api.Test;
import org.testfx.util.WaitForAsyncUtils;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The visitor panel of a real window (X display required) against a real relay, for a visitor with
 * more earlier conversations than the relay lists at once (100): the panel lists the newest page and
 * offers "Show older conversations" at its end, which lists the rest, each once, newest first; then the link is gone.
 * No agent is online while the visitor writes, so its conversations are left messages ({@code offline}), as on a
 * desk that nobody staffs at night: the live one is in the Waiting tab, where the app opens.
 */
class VisitorHistoryPagingUiTest extends UiTest {
    private static final int EARLIER = 104;

    @Test
    void visitorWithMoreThan100EarlierConversations_panelListsTheNewest_andTheRestOnDemand() throws Exception {
        String visitorId = TestRelay.newVisitorId();
        List<String> earlierNewestFirst = new ArrayList<>();
        String now;
        // no agent is online: every conversation is a left message (offline), the last one still live
        try (WsClient visitor = relay.visitor(visitorId, "Li Lei 李雷")) {
            for (int i = 0; i < EARLIER; i++) {
                String conv = visitor.say("question " + i).path("conv").asText();
                visitor.send(new Frame.Close(conv));
                visitor.next(f -> "conv".equals(f.path("type").asText()) && conv.equals(f.path("conv").path("id").asText())
                        && "closed".equals(f.path("conv").path("status").asText()), "the close of " + conv);
                earlierNewestFirst.add(0, conv);
            }
            now = visitor.say("hello again").path("conv").asText();
        }
        app = AgentWindow.launch(relay, TestRelay.PASSWORD, dataDir);
        waitUntil(() -> app.session() != null && app.session().status().isOnline() && app.mainView() != null);
        waitUntil(() -> app.mainViewModel().list().shown().stream().anyMatch(c -> c.id().equals(now)));
        assertThat(WaitForAsyncUtils.asyncFx(() -> app.mainViewModel().list().tabProperty().get()).get())
                .as("the left message is in the tab the app opens on").isEqualTo(ConversationListViewModel.Tab.WAITING);
        WaitForAsyncUtils.asyncFx(() -> app.mainViewModel().open(now)).get();

        // the relay's newest 100: the live conversation (on screen, so not listed) and the newest 99 earlier ones
        waitUntil(() -> listed().size() == 99 && moreLink() != null);
        assertThat(WaitForAsyncUtils.asyncFx(this::listed).get()).containsExactlyElementsOf(earlierNewestFirst.subList(0, 99));
        assertThat(WaitForAsyncUtils.asyncFx(() -> moreLink().getText()).get()).isEqualTo("Show older conversations");

        // the link's own action (a robot click at the bottom of the long scrolled panel did not land reliably here)
        WaitForAsyncUtils.asyncFx(() -> moreLink().fire()).get();
        waitUntil(() -> listed().size() == EARLIER && moreLink() == null);
        assertThat(WaitForAsyncUtils.asyncFx(this::listed).get()).as("every one once, newest first")
                .containsExactlyElementsOf(earlierNewestFirst);
    }

    /** The ids of the conversations the panel links to, top down. FX thread. */
    private List<String> listed() {
        return root().lookupAll(".panel-conversation").stream().map(n -> (String) n.getUserData()).toList();
    }

    /** The panel's "Show older conversations" link; null when not shown. FX thread. */
    private Hyperlink moreLink() {
        Node n = root().lookup("#panelEarlierMore");
        return n instanceof Hyperlink h ? h : null;
    }
}

package dev.kefu.agent;

import dev.kefu.agent.chat.ConversationListViewModel;
import dev.kefu.agent.testing.Screenshots;
import dev.kefu.agent.testing.AgentWindow;
import dev.kefu.agent.testing.TestRelay;
import dev.kefu.agent.testing.UiTest;
import javafx.scene.control.Hyperlink;
import org.junit.jupiter.api.Test;
import org.testfx.api.FxRobot;
import org.testfx.util.WaitForAsyncUtils;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The visitor panel of a real window (X display required) against a real relay, with a fresh cache
 * folder: a visitor's earlier conversation, answered and closed by another agent before this app
 * logged in, is listed; clicking it shows its messages read-only; with the relay stopped the panel
 * says it lists the cache's only, and the conversation still reads from the cache. The visitor came
 * back when no agent was online, so its conversation now is a left message ({@code offline}): it is
 * in the Waiting tab, where the app opens, with no other agent needed. Screenshot
 * {@code visitor-panel-earlier.png}.
 */
class EarlierConversationsUiTest extends UiTest {

    private final FxRobot robot = new FxRobot();

    @Test
    void earlierConversationOfAnotherAgent_isListedInThePanel_opensReadOnly_andReadsOfflineFromTheCache() throws Exception {
        EarlierConversationsTest.Past past = EarlierConversationsTest.bobAnsweredAndClosed_thenTheVisitorLeftAMessage(relay);
        app = AgentWindow.launch(relay, TestRelay.PASSWORD, dataDir);
        waitUntil(() -> app.session() != null && app.session().status().isOnline() && app.mainView() != null);
        waitUntil(() -> app.mainViewModel().list().shown().stream().anyMatch(c -> c.id().equals(past.now())));
        assertThat(WaitForAsyncUtils.asyncFx(() -> app.mainViewModel().list().tabProperty().get()).get())
                .as("the left message is in the tab the app opens on").isEqualTo(ConversationListViewModel.Tab.WAITING);
        WaitForAsyncUtils.asyncFx(() -> app.mainViewModel().open(past.now())).get();
        waitUntil(() -> text("#chatStatus").filter("Left message"::equals).isPresent());

        waitUntil(() -> earlierLink(past.earlier()).isPresent() && text("#panelEarlierSource").isEmpty());
        Hyperlink link = WaitForAsyncUtils.asyncFx(() -> earlierLink(past.earlier()).orElseThrow()).get();
        assertThat(link.getText()).as("not cached yet: no preview").endsWith(" · Closed · Bob");
        assertThat(textIn("#panelName")).as("the visitor was never seen online by this app").hasValue("Li Lei 李雷");
        Screenshots.save(app.stage().getScene(), "visitor-panel-earlier.png");

        robot.clickOn(link);
        waitUntil(() -> bubbleTexts().containsAll(List.of("我的订单 1001 还没到 my order is late", "It ships today. 今天发货。")));
        assertThat(textIn("#chatStatus")).hasValue("Closed");
        assertThat(WaitForAsyncUtils.asyncFx(() -> app.stage().getScene().getRoot().lookup("#input").isDisabled()).get())
                .as("no reply to a closed conversation").isTrue();
        assertThat(textIn("#chatNotice")).hasValue("");

        waitUntil(() -> earlierLink(past.earlier()).isEmpty() && earlierLink(past.now()).isPresent());
        assertThat(WaitForAsyncUtils.asyncFx(() -> earlierLink(past.now()).orElseThrow().getText()).get())
                .as("the panel lists the visitor's other conversation, the left message, as such")
                .contains(" · Left message · hello again, nobody there?");
        relay.close();
        waitUntil(() -> !app.session().status().isOnline());
        WaitForAsyncUtils.asyncFx(() -> app.mainViewModel().open(past.now())).get();
        waitUntil(() -> earlierLink(past.earlier()).isPresent()
                && text("#panelEarlierSource").filter(t -> t.startsWith("Only what this computer holds")).isPresent());
        robot.clickOn(WaitForAsyncUtils.asyncFx(() -> earlierLink(past.earlier()).orElseThrow()).get());
        waitUntil(() -> bubbleTexts().equals(List.of("我的订单 1001 还没到 my order is late", "It ships today. 今天发货。")));
        assertThat(textIn("#chatNotice")).as("nothing missing offline").hasValue("");
    }

    /** The panel's link to conversation {@code id}. FX thread. */
    private Optional<Hyperlink> earlierLink(String id) {
        return root().lookupAll(".panel-conversation").stream().map(n -> (Hyperlink) n)
                .filter(l -> id.equals(l.getUserData())).findFirst();
    }
}

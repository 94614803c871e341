package dev.kefu.agent;

import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.testing.AgentWindow;
import dev.kefu.agent.testing.TestRelay;
import dev.kefu.agent.testing.UiTest;
import dev.kefu.relay.testing.WsClient;
import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.scene.control.Label;
import javafx.scene.control.Labeled;
import javafx.scene.control.ListView;
import javafx.scene.layout.VBox;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testfx.api.FxRobot;
import org.testfx.util.WaitForAsyncUtils;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A language switch rebuilds the screens over the same view models: the replaced window lets go of
 * them at once (no listener or binding left), so it no longer follows new messages or conversations,
 * and only the new window does. Logging out lets go of the window too. A real window against a real
 * relay (X display required).
 */
class LanguageSwitchUiTest extends UiTest {


    private final FxRobot robot = new FxRobot();
    private WsClient visitor;
    private WsClient other;

    @BeforeEach
    void launchApp() throws Exception {
        app = AgentWindow.launch(relay, TestRelay.PASSWORD, dataDir);
    }

    @AfterEach
    void closeVisitors() throws Exception {
        for (WsClient v : new WsClient[]{visitor, other}) {
            if (v != null) {
                v.close();
            }
        }
    }

    @Test
    void languageSwitch_oldWindowLetsGoOfTheViewModels_onlyTheNewOneFollowsMessagesAndConversations() throws Exception {
        waitUntil(() -> app.session() != null && app.session().status().isOnline() && app.mainView() != null);
        visitor = relay.visitor(TestRelay.newVisitorId(), "Li Lei 李雷");
        String conv = visitor.say("first message").path("conv").asText();
        waitUntil(() -> app.mainViewModel().list().shown().stream().anyMatch(c -> c.id().equals(conv)));
        WaitForAsyncUtils.asyncFx(() -> app.mainViewModel().open(conv)).get();
        waitUntil(() -> "Li Lei 李雷".equals(textIn(app.stage().getScene().getRoot(), "#chatTitle"))
                && bubbleTexts(app.stage().getScene().getRoot()).contains("first message"));

        MainView old = app.mainView();
        Parent oldRoot = app.stage().getScene().getRoot();
        int held = WaitForAsyncUtils.asyncFx(old::registrations).get();
        assertThat(held).as("registrations of the English window").isGreaterThan(40);

        robot.clickOn("#menu");
        robot.clickOn("Settings...");
        waitUntil(() -> robot.lookup("#settingsLanguage").tryQuery().isPresent());
        robot.clickOn("#settingsLanguage");
        robot.clickOn("中文");
        robot.clickOn("OK");
        waitUntil(() -> app.mainView() != old && textIn(app.stage().getScene().getRoot(), "#navConversations").startsWith("会话"));

        MainView now = app.mainView();
        Parent newRoot = app.stage().getScene().getRoot();
        assertThat(WaitForAsyncUtils.asyncFx(old::registrations).get()).as("registrations left by the replaced window")
                .isZero();
        assertThat(WaitForAsyncUtils.asyncFx(now::registrations).get()).isEqualTo(held);
        List<String> oldBubbles = WaitForAsyncUtils.asyncFx(() -> bubbleTexts(oldRoot)).get();
        assertThat(oldBubbles).contains("first message");

        // a new message: shown by the new window only
        visitor.say("second message");
        waitUntil(() -> bubbleTexts(newRoot).contains("second message"));
        assertThat(WaitForAsyncUtils.asyncFx(() -> bubbleTexts(oldRoot)).get()).isEqualTo(oldBubbles);

        // a new conversation: listed by the new window only
        other = relay.visitor(TestRelay.newVisitorId(), "王芳");
        String second = other.say("请问包邮吗？").path("conv").asText();
        waitUntil(() -> listed(newRoot).contains(second));
        assertThat(WaitForAsyncUtils.asyncFx(() -> listed(oldRoot)).get()).doesNotContain(second);
        // the old window's title and chat stay as they were when another conversation opens
        WaitForAsyncUtils.asyncFx(() -> app.mainViewModel().open(second)).get();
        waitUntil(() -> "王芳".equals(textIn(newRoot, "#chatTitle")));
        assertThat(WaitForAsyncUtils.asyncFx(() -> textIn(oldRoot, "#chatTitle")).get()).isEqualTo("Li Lei 李雷");

        // logging out lets go of the window that was showing
        robot.clickOn("#menu");
        robot.clickOn("退出登录");
        waitUntil(() -> robot.lookup("#password").tryQuery().isPresent());
        assertThat(WaitForAsyncUtils.asyncFx(now::registrations).get()).isZero();
    }

    private static String textIn(Parent root, String query) {
        Node n = root.lookup(query);
        return n instanceof Labeled l && l.getText() != null ? l.getText() : "";
    }

    /** The texts of the message bubbles a window's chat shows. FX thread. */
    private static List<String> bubbleTexts(Parent root) {
        VBox messages = (VBox) root.lookup("#messages");
        return messages.getChildren().stream().flatMap(row -> row.lookupAll(".bubble-text").stream())
                .map(n -> ((Label) n).getText()).toList();
    }

    /** The ids of the conversations a window's list shows. FX thread. */
    @SuppressWarnings("unchecked")
    private static List<String> listed(Parent root) {
        ListView<Conversation> list = (ListView<Conversation>) root.lookup("#conversations");
        return list.getItems() == null ? List.of() : list.getItems().stream().map(Conversation::id).toList();
    }
}

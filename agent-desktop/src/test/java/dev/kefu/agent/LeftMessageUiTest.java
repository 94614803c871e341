package dev.kefu.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.chat.ConversationListViewModel;
import dev.kefu.agent.notify.Alert;
import dev.kefu.agent.testing.AgentWindow;
import dev.kefu.agent.testing.Screenshots;
import dev.kefu.agent.testing.TestRelay;
import dev.kefu.agent.testing.UiTest;
import dev.kefu.protocol.ConvStatus;
import dev.kefu.relay.testing.WsClient;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.input.KeyCode;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.testfx.api.FxRobot;
import org.testfx.util.WaitForAsyncUtils;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Leave-a-message as an agent meets it, in a real window (X display required) against a real relay:
 * a visitor writes while no agent is online, and again on a later visit, into the same conversation
 * (status {@code offline}); then alice starts the app with a fresh cache folder. The left message is
 * in the Waiting tab the app opens on, counted, marked as left, with one alert; the chat says "Left
 * message" and offers Accept; the visitor panel names it so too; alice's reply opens it as hers and
 * reaches the visitor on its next visit. Screenshot {@code left-message.png}.
 */
class LeftMessageUiTest extends UiTest {
    private static final String FIRST = "我想退货 I would like to return my order";
    private static final String LATER = "还在吗？Is anyone there? Call me on 138 0000 0000";

    private final FxRobot robot = new FxRobot();

    @Test
    void messagesLeftWithNoAgentOnline_waitInTheWaitingTab_alert_andAReplyOpensTheConversation() throws Exception {
        String visitorId = TestRelay.newVisitorId();
        String conv;
        try (WsClient visitor = relay.visitor(visitorId, "Li Lei 李雷")) {
            visitor.next(f -> "service".equals(f.path("type").asText()) && !f.path("online").asBoolean(),
                    "service offline: no agent online");
            conv = visitor.say(FIRST).path("conv").asText();
        }
        try (WsClient laterVisit = relay.visitor(visitorId, "Li Lei 李雷")) {
            laterVisit.next("welcome");
            assertThat(laterVisit.say(LATER).path("conv").asText()).as("the same left conversation").isEqualTo(conv);
        }

        app = AgentWindow.launch(relay, TestRelay.PASSWORD, dataDir);
        waitUntil(() -> app.session() != null && app.session().status().isOnline() && app.mainView() != null);
        waitUntil(() -> app.mainViewModel().list().shown().stream()
                .anyMatch(c -> c.id().equals(conv) && ConvStatus.OFFLINE.equals(c.status())));
        assertThat(WaitForAsyncUtils.asyncFx(() -> app.mainViewModel().list().tabProperty().get()).get())
                .isEqualTo(ConversationListViewModel.Tab.WAITING);
        waitUntil(() -> text("#tabWaiting").filter("Waiting 1"::equals).isPresent());
        waitUntil(() -> cellTime().filter(t -> t.startsWith("left message ")).isPresent());
        waitUntil(() -> !app.session().alerts().recent().isEmpty());
        // (not its visitor's name: the relay names a visitor in conv info only while it is online, and this one is gone)
        assertThat(app.session().alerts().recent()).extracting(Alert::kind, Alert::conv)
                .containsExactly(Tuple.tuple(Alert.Kind.LEFT_MESSAGE, conv));

        robot.clickOn(robot.lookup(".conversation-cell .conv-name").match(n -> "Li Lei 李雷".equals(((Label) n).getText()))
                .queryAs(Node.class));
        waitUntil(() -> bubbleTexts().containsAll(List.of(FIRST, LATER)));
        assertThat(textIn("#chatStatus")).hasValue("Left message");
        assertThat(WaitForAsyncUtils.asyncFx(() -> root().lookup("#accept").isVisible()).get()).isTrue();
        assertThat(WaitForAsyncUtils.asyncFx(() -> root().lookup("#input").isDisabled()).get())
                .as("a left message can be answered").isFalse();
        Screenshots.save(app.stage().getScene(), "left-message.png");

        robot.clickOn("#input").write("We will arrange the return today.");
        robot.type(KeyCode.ENTER);
        waitUntil(() -> text("#chatStatus").filter("With you"::equals).isPresent());
        Conversation now = WaitForAsyncUtils.asyncFx(() -> app.mainViewModel().list().shown().stream()
                .filter(c -> c.id().equals(conv)).findFirst().orElseThrow()).get();
        assertThat(now.isOpenWith(app.session().account().agentId())).isTrue();
        assertThat(textIn("#tabWaiting")).hasValue("Waiting 0");

        try (WsClient back = relay.visitor(visitorId, "Li Lei 李雷")) {
            JsonNode reply = back.next(f -> "msg".equals(f.path("type").asText())
                    && "agent".equals(f.path("from").path("role").asText()), "alice's reply, replayed");
            assertThat(reply.path("conv").asText()).isEqualTo(conv);
            assertThat(reply.path("body").asText()).isEqualTo("We will arrange the return today.");
        }
    }

    /** The time label of the list's first cell. FX thread. */
    private Optional<String> cellTime() {
        return root().lookupAll(".conversation-cell .conv-time").stream().map(n -> ((Label) n).getText())
                .filter(t -> t != null && !t.isEmpty()).findFirst();
    }
}

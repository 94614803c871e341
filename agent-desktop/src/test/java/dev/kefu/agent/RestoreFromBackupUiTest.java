package dev.kefu.agent;

import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.testing.AgentWindow;
import dev.kefu.agent.testing.Screenshots;
import dev.kefu.agent.testing.TestRelay;
import dev.kefu.agent.testing.UiTest;
import dev.kefu.relay.testing.WsClient;
import javafx.scene.control.Label;
import javafx.scene.layout.VBox;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real window (X display required) with a conversation open while the relay's store is restored
 * from an older backup: the chat drops the messages the restore took away and shows the new one
 * that reuses their seq; a reply queued to a conversation the restored relay lacks shows as not sent,
 * its text kept. Screenshots {@code chat-after-restore.png}, {@code chat-not-sent-after-restore.png}.
 */
class RestoreFromBackupUiTest extends UiTest {

    @TempDir
    Path backupDir;

    @Test
    void openConversation_afterARestoreFromBackup_showsTheRestoredHistoryAndTheNewMessage() throws Exception {
        Path backup = backupDir.resolve("backup");
        int port = relay.port();
        String visitorId = TestRelay.newVisitorId();
        app = AgentWindow.launch(relay, TestRelay.PASSWORD, dataDir);
        waitUntil(() -> app.session() != null && app.session().status().isOnline() && app.mainView() != null);

        String conv;
        try (WsClient visitor = relay.visitor(visitorId, "Li Lei")) {
            conv = visitor.say("m1 你好").path("conv").asText();
            visitor.say("m2");
            visitor.say("m3");
        }
        waitUntil(() -> app.mainViewModel().list().shown().stream().anyMatch(c -> c.id().equals(conv)));
        WaitForAsyncUtils.asyncFx(() -> app.mainViewModel().open(conv)).get();
        waitUntil(() -> bubbleTexts().equals(List.of("m1 你好", "m2", "m3")));

        relay.close();
        waitUntil(() -> !app.session().status().isOnline());
        TestRelay.backUpStore(relayDir, backup);
        relay = TestRelay.start(relayDir, port);
        waitUntil(() -> app.session().status().isOnline());
        try (WsClient visitor = relay.visitor(visitorId, "Li Lei")) {
            visitor.say("m4 lost with the restore");
            visitor.say("m5 lost with the restore");
        }
        waitUntil(() -> bubbleTexts().equals(List.of("m1 你好", "m2", "m3", "m4 lost with the restore",
                "m5 lost with the restore")));

        relay.close();
        waitUntil(() -> !app.session().status().isOnline());
        TestRelay.restoreStore(relayDir, backup);
        relay = TestRelay.start(relayDir, port);
        try (WsClient visitor = relay.visitor(visitorId, "Li Lei")) {
            assertThat(visitor.say("after the restore").path("seq").asLong()).as("seq 4 again").isEqualTo(4);
        }

        waitUntil(() -> bubbleTexts().equals(List.of("m1 你好", "m2", "m3", "after the restore")));
        Conversation listed = WaitForAsyncUtils.asyncFx(() -> app.mainViewModel().list().shown().stream()
                .filter(c -> c.id().equals(conv)).findFirst().orElseThrow()).get();
        assertThat(listed.lastBody()).isEqualTo("after the restore");
        assertThat(listed.lastSeq()).isEqualTo(4);
        Screenshots.save(app.stage().getScene(), "chat-after-restore.png");
    }

    @Test
    void replyQueuedToAConversationOpenedAfterTheBackup_showsNotSent_withItsText() throws Exception {
        Path backup = backupDir.resolve("backup");
        int port = relay.port();
        app = AgentWindow.launch(relay, TestRelay.PASSWORD, dataDir);
        waitUntil(() -> app.session() != null && app.session().status().isOnline() && app.mainView() != null);
        relay.close();
        waitUntil(() -> !app.session().status().isOnline());
        TestRelay.backUpStore(relayDir, backup);
        relay = TestRelay.start(relayDir, port);
        waitUntil(() -> app.session().status().isOnline());

        String conv;
        try (WsClient visitor = relay.visitor(TestRelay.newVisitorId(), "Late 晚到")) {
            conv = visitor.say("opened after the backup").path("conv").asText();
        }
        waitUntil(() -> app.mainViewModel().list().shown().stream().anyMatch(c -> c.id().equals(conv)));
        WaitForAsyncUtils.asyncFx(() -> app.mainViewModel().open(conv)).get();
        waitUntil(() -> bubbleTexts().equals(List.of("opened after the backup")));

        relay.close();
        waitUntil(() -> !app.session().status().isOnline());
        WaitForAsyncUtils.asyncFx(() -> {
            app.mainViewModel().chat().inputProperty().set("稍等, checking your order");
            app.mainViewModel().chat().send();
        }).get();
        waitUntil(() -> bubbleMetas().stream().anyMatch(m -> m.endsWith("sending...")));
        TestRelay.restoreStore(relayDir, backup);
        relay = TestRelay.start(relayDir, port);

        waitUntil(() -> bubbleTexts().equals(List.of("稍等, checking your order"))
                && bubbleMetas().size() == 1 && bubbleMetas().get(0).endsWith("not sent"));
        waitUntil(() -> "The relay does not know this conversation (or you may not see it).".equals(
                ((Label) app.stage().getScene().getRoot().lookup("#chatNotice")).getText())
                && "Closed".equals(((Label) app.stage().getScene().getRoot().lookup("#chatStatus")).getText()));
        Conversation listed = WaitForAsyncUtils.asyncFx(() -> app.mainViewModel().list().shown().stream()
                .filter(c -> c.id().equals(conv)).findFirst().orElseThrow()).get();
        assertThat(listed.lastBody()).as("the list's preview").isEqualTo("稍等, checking your order");
        Screenshots.save(app.stage().getScene(), "chat-not-sent-after-restore.png");
    }

    /** The time and state lines under the bubbles, in order. FX thread. */
    private List<String> bubbleMetas() {
        VBox messages = (VBox) app.stage().getScene().getRoot().lookup("#messages");
        return messages.getChildren().stream().flatMap(row -> row.lookupAll(".bubble-meta").stream())
                .map(n -> ((Label) n).getText()).toList();
    }
}

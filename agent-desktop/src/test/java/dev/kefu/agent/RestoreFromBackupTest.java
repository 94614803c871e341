package dev.kefu.agent;

import dev.kefu.agent.cache.ChatMessage;
import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.cache.MessageState;
import dev.kefu.agent.login.AgentAccount;
import dev.kefu.agent.net.ConnectionState;
import dev.kefu.agent.testing.SessionProbe;
import dev.kefu.agent.testing.SessionTest;
import dev.kefu.agent.testing.TestRelay;
import dev.kefu.protocol.ConvStatus;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

/**
 * The agent's services against a real relay whose store is restored from an older backup (see
 * docs/protocol.md, "After a restore from backup"): the relay hands out again seqs the app holds,
 * under a new epoch. The app forgets its history, takes the restored relay's, keeps a new message
 * that reuses a seq it held, and keeps its outbox: a reply the restored relay cannot take shows as
 * not sent, its text kept.
 */
class RestoreFromBackupTest extends SessionTest {
    @TempDir
    Path backupDir;

    private <T extends AutoCloseable> T track(T c) {
        return closer.track(c);
    }

    /** The relay (replaced by the restored one in each story), on {@link #port}. */
    private TestRelay relay;
    private int port;
    private AgentAccount alice;
    /** Alice's app. */
    private AgentSession session;
    private SessionProbe probe;

    /** Alice's app online against a fresh relay. */
    private void aliceOnline() throws Exception {
        relay = track(TestRelay.start(relayDir));
        port = relay.port();
        alice = relay.login("alice");
        session = track(session(alice));
        probe = SessionProbe.attach(session);
        session.start();
        probe.awaitState(ConnectionState.ONLINE);
    }

    @Test
    void restoredRelay_replacesTheCachedHistory_andANewMessageReusingAHeldSeqIsKeptAndShown() throws Exception {
        Path backup = backupDir.resolve("backup");
        aliceOnline();
        String visitorId = TestRelay.newVisitorId();
        String conv;

        // Messages 1..3 are cached; then the relay is stopped and its store backed up.
        try (WsClient visitor = relay.visitor(visitorId, "Li Lei")) {
            conv = visitor.say("m1").path("conv").asText();
            visitor.say("m2");
            visitor.say("m3");
            probe.awaitMessage(m -> "m3".equals(m.body()), "m3");
        }
        relay.close();
        probe.awaitDisconnected();
        TestRelay.backUpStore(relayDir, backup);

        // Messages 4 and 5 come after the backup, and are cached too.
        relay = track(TestRelay.start(relayDir, port));
        probe.awaitState(ConnectionState.ONLINE);
        try (WsClient visitor = relay.visitor(visitorId, "Li Lei")) {
            visitor.say("m4 (lost with the restore)");
            assertThat(visitor.say("m5 (lost with the restore)").path("seq").asLong()).isEqualTo(5);
            probe.awaitMessage(m -> m.seq() == 5 && conv.equals(m.conv()), "m5");
        }
        relay.close();
        probe.awaitDisconnected();

        // The store is restored from the backup; the relay comes back on the same port.
        TestRelay.restoreStore(relayDir, backup);
        relay = track(TestRelay.start(relayDir, port));
        probe.awaitState(ConnectionState.ONLINE);
        try (WsClient visitor = relay.visitor(visitorId, "Li Lei")) {
            assertThat(visitor.say("after the restore").path("seq").asLong())
                    .as("the relay hands out seq 4 again: the hazard").isEqualTo(4);
        }

        ChatMessage shown = probe.awaitMessage(m -> "after the restore".equals(m.body()), "the new message");
        assertThat(shown.seq()).isEqualTo(4);
        assertThat(session.conversations().latest(conv).get(5, TimeUnit.SECONDS))
                .extracting(ChatMessage::seq, ChatMessage::body)
                .containsExactly(tuple(1L, "m1"), tuple(2L, "m2"), tuple(3L, "m3"), tuple(4L, "after the restore"));
        Conversation c = session.conversations().conversation(conv).get(5, TimeUnit.SECONDS).orElseThrow();
        assertThat(c.lastSeq()).isEqualTo(4);
        assertThat(c.heldSeq()).isEqualTo(4);
        assertThat(c.lastBody()).isEqualTo("after the restore");
        assertThat(c.unread()).as("the visitor's four messages, none read yet").isEqualTo(4);
        session.close();

        // Offline, the app restarted reads the restored history from its cache.
        relay.close();
        try (AgentSession offline = session(alice)) {
            SessionProbe offlineProbe = SessionProbe.attach(offline);
            offline.start();
            offlineProbe.awaitState(ConnectionState.RECONNECTING);
            assertThat(offline.conversations().latest(conv).get(5, TimeUnit.SECONDS))
                    .extracting(ChatMessage::seq, ChatMessage::body)
                    .containsExactly(tuple(1L, "m1"), tuple(2L, "m2"), tuple(3L, "m3"), tuple(4L, "after the restore"));
        }
    }

    @Test
    void queuedReplies_afterTheRestore_areResent_aReplyToAConversationOpenedAfterTheBackupShowsNotSent() throws Exception {
        Path backup = backupDir.resolve("backup");
        aliceOnline();
        String early = TestRelay.newVisitorId();
        String late = TestRelay.newVisitorId();
        String kept;
        String gone;

        try (WsClient visitor = relay.visitor(early, "Early")) {
            kept = visitor.say("in the backup").path("conv").asText();
            probe.awaitMessage(m -> "in the backup".equals(m.body()), "the message in the backup");
        }
        relay.close();
        probe.awaitDisconnected();
        TestRelay.backUpStore(relayDir, backup);

        relay = track(TestRelay.start(relayDir, port));
        probe.awaitState(ConnectionState.ONLINE);
        try (WsClient visitor = relay.visitor(late, "Late")) {
            gone = visitor.say("opened after the backup").path("conv").asText();
            probe.awaitMessage(m -> "opened after the backup".equals(m.body()), "the message after the backup");
        }
        relay.close();
        probe.awaitDisconnected();

        // Offline: a reply to each conversation waits in the outbox.
        assertThat(session.conversations().send(kept, "reply to the kept one").get(5, TimeUnit.SECONDS).state())
                .isEqualTo(MessageState.PENDING);
        assertThat(session.conversations().send(gone, "reply to the lost one").get(5, TimeUnit.SECONDS).state())
                .isEqualTo(MessageState.PENDING);

        SessionProbe restored = SessionProbe.attach(session); // hears only what follows
        TestRelay.restoreStore(relayDir, backup);
        relay = track(TestRelay.start(relayDir, port));

        restored.awaitRefusal(r -> r.startsWith(gone + " unknown_conv"), "the refusal of the reply to the lost conversation");
        restored.awaitOutbox(0); // both answered: one acked, one refused
        ChatMessage notSent = restored.awaitMessage(m -> "reply to the lost one".equals(m.body()), "the refused reply");
        assertThat(notSent.state()).isEqualTo(MessageState.FAILED);
        assertThat(notSent.error()).isEqualTo("unknown_conv");

        assertThat(session.conversations().latest(gone).get(5, TimeUnit.SECONDS))
                .as("only the reply, kept as not sent: the relay no longer has the visitor's message")
                .extracting(ChatMessage::body, ChatMessage::state)
                .containsExactly(tuple("reply to the lost one", MessageState.FAILED));
        assertThat(session.conversations().conversation(gone).get(5, TimeUnit.SECONDS).orElseThrow().status())
                .isEqualTo(ConvStatus.CLOSED);
        assertThat(session.conversations().latest(kept).get(5, TimeUnit.SECONDS))
                .extracting(ChatMessage::seq, ChatMessage::body, ChatMessage::state)
                .containsExactly(tuple(1L, "in the backup", MessageState.SENT),
                        tuple(2L, "reply to the kept one", MessageState.SENT));
        try (WsClient visitor = relay.visitor(early, "Early")) {
            List<String> stored = visitor.history(kept).stream().map(m -> m.path("body").asText()).toList();
            assertThat(stored).containsExactly("in the backup", "reply to the kept one");
        }
    }
}

package dev.kefu.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.agent.cache.ChatCache;
import dev.kefu.agent.cache.ChatMessage;
import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.cache.MessageState;
import dev.kefu.agent.login.AgentAccount;
import dev.kefu.agent.net.ConnectionState;
import dev.kefu.agent.testing.SessionProbe;
import dev.kefu.agent.testing.SessionTest;
import dev.kefu.agent.testing.TestRelay;
import dev.kefu.protocol.Frame;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

/**
 * Internal notes, recalls and ratings through the agent's services against a real relay: what the
 * relay sends, what the cache keeps across restarts, and what never reaches the visitor.
 */
class NotesRecallsRatingsTest extends SessionTest {
    private <T extends AutoCloseable> T track(T c) {
        return closer.track(c);
    }

    /** A started session and its probe, once online. */
    private record Online(AgentSession session, SessionProbe probe) {}

    private Online online(AgentAccount account) throws InterruptedException {
        AgentSession s = track(session(account));
        SessionProbe p = SessionProbe.attach(s);
        s.start();
        p.awaitState(ConnectionState.ONLINE);
        return new Online(s, p);
    }

    private static List<ChatMessage> notesOf(AgentSession s, String conv) throws Exception {
        return s.conversations().latest(conv).get(5, TimeUnit.SECONDS).stream().filter(ChatMessage::isNote).toList();
    }

    private static void assertNoNoteReached(WsClient visitor, String... bodies) {
        for (JsonNode f : visitor.received()) {
            assertThat(f.path("type").asText()).as("a frame the visitor got").isNotEqualTo("note");
            for (String body : bodies) {
                assertThat(f.toString()).as("a frame the visitor got").doesNotContain(body);
            }
        }
    }

    @Test
    void note_writtenOffline_isDeliveredOnceAfterReconnect_evenWhenResent_andNeverReachesTheVisitor() throws Exception {
        TestRelay relay = TestRelay.start(relayDir);
        int port = relay.port();
        AgentAccount alice = relay.login("alice");
        AgentAccount bob = relay.login("bob");
        String visitorId = TestRelay.newVisitorId();
        String conv;

        AgentSession first = session(alice);
        SessionProbe probe = SessionProbe.attach(first);
        first.start();
        probe.awaitState(ConnectionState.ONLINE);
        try (WsClient visitor = relay.visitor(visitorId, "Han Meimei")) {
            conv = visitor.say("my order is late").path("conv").asText();
            probe.awaitMessage(m -> m.seq() == 1 && conv.equals(m.conv()), "the visitor's message");
            // online, with the visitor connected: the note goes to agents only
            first.conversations().sendNote(conv, "note online: VIP customer").get(5, TimeUnit.SECONDS);
            probe.awaitMessage(m -> m.isNote() && m.nseq() == 1 && m.state() == MessageState.SENT, "the note acked");
            first.conversations().send(conv, "Let me check that for you.");
            visitor.next(f -> "Let me check that for you.".equals(f.path("body").asText()), "the reply after the note");
            assertNoNoteReached(visitor, "note online");
        }

        relay.close();
        probe.awaitDisconnected();
        ChatMessage pending = first.conversations().sendNote(conv, "note offline: refund promised").get(5, TimeUnit.SECONDS);
        assertThat(pending.state()).isEqualTo(MessageState.PENDING);
        assertThat(first.conversations().outboxSize().get(5, TimeUnit.SECONDS)).isEqualTo(1);
        first.close();
        // Keep the cache as it is now, note in the outbox: restoring it later plays an app that
        // crashed after the relay stored the note but before the ack was written down.
        Path cacheFile = ChatCache.fileFor(agentDir, alice.server().fileKey(), alice.username());
        Path beforeAck = agentDir.resolve("before-ack.db");
        Files.copy(cacheFile, beforeAck);

        TestRelay back = track(TestRelay.start(relayDir, port));
        try (AgentSession second = session(alice)) {
            SessionProbe probe2 = SessionProbe.attach(second);
            second.start();
            probe2.awaitMessage(m -> m.isNote() && m.body().startsWith("note offline") && m.state() == MessageState.SENT,
                    "the offline note acked after reconnecting");
            probe2.awaitOutbox(0);
        }
        Files.deleteIfExists(Path.of(cacheFile + "-wal"));
        Files.deleteIfExists(Path.of(cacheFile + "-shm"));
        Files.copy(beforeAck, cacheFile, StandardCopyOption.REPLACE_EXISTING);
        AgentSession third = track(session(alice));
        SessionProbe probe3 = SessionProbe.attach(third);
        third.start();
        probe3.awaitMessage(m -> m.isNote() && m.body().startsWith("note offline") && m.state() == MessageState.SENT,
                "the resent note acked again");
        probe3.awaitOutbox(0);

        // Another agent sees each note once: the relay numbered two notes, no more.
        Online other = online(bob);
        other.probe().awaitMessage(m -> m.isNote() && m.nseq() == 2, "the second note at bob's");
        assertThat(notesOf(other.session(), conv)).extracting(ChatMessage::nseq, ChatMessage::body, ChatMessage::fromName)
                .containsExactly(tuple(1L, "note online: VIP customer", "Alice 小爱"),
                        tuple(2L, "note offline: refund promised", "Alice 小爱"));
        assertThat(notesOf(third, conv)).extracting(ChatMessage::nseq).containsExactly(1L, 2L);

        // The visitor, back with everything replayed, sees messages only.
        try (WsClient visitor = back.visitor(visitorId, "Han Meimei")) {
            assertThat(visitor.history(conv)).extracting(m -> m.path("body").asText())
                    .containsExactly("my order is late", "Let me check that for you.");
            assertNoNoteReached(visitor, "note online", "note offline");
        }
    }

    @Test
    void recall_byAnAgent_showsAsRecalledOnAnotherAgentsApp_andSurvivesItsRestart() throws Exception {
        String conv;
        AgentAccount bob;
        try (TestRelay relay = TestRelay.start(relayDir)) {
            AgentAccount alice = relay.login("alice");
            bob = relay.login("bob");
            Online a = online(alice);
            AgentSession b = session(bob);
            SessionProbe bProbe = SessionProbe.attach(b);
            b.start();
            bProbe.awaitState(ConnectionState.ONLINE);
            try (WsClient visitor = relay.visitor(TestRelay.newVisitorId(), "Wang Wu")) {
                conv = visitor.say("how much is the teapot?").path("conv").asText();
                a.session().conversations().send(conv, "The teapot is 99 yuan");
                a.probe().awaitMessage(m -> m.seq() == 2 && m.state() == MessageState.SENT, "the reply acked");
                bProbe.awaitMessage(m -> m.seq() == 2 && "The teapot is 99 yuan".equals(m.body()), "the reply at bob's");

                assertThat(a.session().conversations().recall(conv, 2).get(5, TimeUnit.SECONDS)).isTrue();

                JsonNode recalled = visitor.next("recalled");
                assertThat(recalled.path("seq").asLong()).isEqualTo(2);
                ChatMessage atBob = bProbe.awaitMessage(m -> m.seq() == 2 && m.recalled(), "the recall at bob's");
                assertThat(atBob.body()).as("bob is no admin: the text is gone").isNull();
                ChatMessage atAlice = a.probe().awaitMessage(m -> m.seq() == 2 && m.recalled(), "the recall at alice's");
                assertThat(atAlice.body()).as("alice is an admin: she keeps the original").isEqualTo("The teapot is 99 yuan");
                bProbe.awaitConversation(c -> c.id().equals(conv) && Conversation.RECALLED_PREVIEW.equals(c.lastBody()),
                        "the list preview saying recalled");
            }
            b.close();
        }

        // Bob's app restarts with no relay at all: the cache remembers the recall.
        AgentSession again = track(session(bob));
        again.start();
        assertThat(again.conversations().latest(conv).get(5, TimeUnit.SECONDS))
                .extracting(ChatMessage::seq, ChatMessage::recalled, ChatMessage::body)
                .containsExactly(tuple(1L, false, "how much is the teapot?"), tuple(2L, true, null));
    }

    @Test
    void recall_madeWhileTheAppWasClosed_isCaughtUpAfterReconnect() throws Exception {
        TestRelay relay = track(TestRelay.start(relayDir));
        AgentAccount alice = relay.login("alice");
        AgentAccount bob = relay.login("bob");
        Online a = online(alice);
        String conv;
        try (WsClient visitor = relay.visitor(TestRelay.newVisitorId(), "Zhao Liu")) {
            conv = visitor.say("hello").path("conv").asText();
            try (AgentSession b = session(bob)) {
                SessionProbe bProbe = SessionProbe.attach(b);
                b.start();
                a.session().conversations().send(conv, "wrong link: http://example.com/x");
                bProbe.awaitMessage(m -> m.seq() == 2 && !m.recalled(), "the reply at bob's");
            }
            a.session().conversations().recall(conv, 2).get(5, TimeUnit.SECONDS);
            visitor.next("recalled");
        }

        AgentSession b = track(session(bob));
        SessionProbe bProbe = SessionProbe.attach(b);
        b.start();
        ChatMessage caughtUp = bProbe.awaitMessage(m -> m.seq() == 2 && m.recalled(), "the recall caught up");
        assertThat(caughtUp.body()).isNull();
    }

    @Test
    void recall_afterTheWindow_isRefusedWithTheRelaysReason() throws Exception {
        TestRelay relay = track(TestRelay.start(relayDir, 0, c -> c.withRecallWindow(0)));
        Online a = online(relay.login("alice"));
        try (WsClient visitor = relay.visitor(TestRelay.newVisitorId(), "Sun Qi")) {
            String conv = visitor.say("hi").path("conv").asText();
            a.session().conversations().send(conv, "too late to take back");
            a.probe().awaitMessage(m -> m.seq() == 2 && m.state() == MessageState.SENT, "the reply acked");

            assertThat(a.session().conversations().recall(conv, 2).get(5, TimeUnit.SECONDS)).isTrue();

            String refusal = a.probe().awaitRefusal(r -> r.contains("recall_"), "the refusal");
            assertThat(refusal).startsWith(conv + " recall_not_allowed: ").contains("within 0 s");
            assertThat(a.session().conversations().latest(conv).get(5, TimeUnit.SECONDS))
                    .filteredOn(m -> m.seq() == 2).singleElement()
                    .satisfies(m -> assertThat(m.recalled()).isFalse());
        }
    }

    @Test
    void recall_whileOffline_isNotSent() throws Exception {
        TestRelay relay = TestRelay.start(relayDir);
        AgentAccount alice = relay.login("alice");
        Online a = online(alice);
        relay.close();
        a.probe().awaitDisconnected();
        assertThat(a.session().conversations().recall("any", 1).get(5, TimeUnit.SECONDS)).isFalse();
    }

    @Test
    void visitorsRating_appearsOnTheConversation_andStaysInTheCache() throws Exception {
        String conv;
        AgentAccount alice;
        try (TestRelay relay = TestRelay.start(relayDir)) {
            alice = relay.login("alice");
            try (AgentSession s = session(alice); WsClient visitor = relay.visitor(TestRelay.newVisitorId(), "Li Lei")) {
                SessionProbe probe = SessionProbe.attach(s);
                s.start();
                probe.awaitState(ConnectionState.ONLINE);
                conv = visitor.say("where is my parcel?").path("conv").asText();
                s.conversations().send(conv, "It arrives tomorrow.");
                probe.awaitMessage(m -> m.seq() == 2 && m.state() == MessageState.SENT, "the reply acked");
                s.conversations().close(conv);
                probe.awaitConversation(c -> c.id().equals(conv) && !c.isLive(), "the conversation closed");

                visitor.send(new Frame.Rate(conv, 4, "很快，谢谢 quick, thanks"));

                Conversation rated = probe.awaitConversation(c -> c.id().equals(conv) && c.isRated(), "the rating");
                assertThat(rated.rating()).isEqualTo(4);
                assertThat(rated.ratingComment()).isEqualTo("很快，谢谢 quick, thanks");
            }
        }
        try (AgentSession offline = session(alice)) {
            offline.start();
            Conversation c = offline.conversations().conversation(conv).get(5, TimeUnit.SECONDS).orElseThrow();
            assertThat(c.rating()).isEqualTo(4);
            assertThat(c.ratingComment()).isEqualTo("很快，谢谢 quick, thanks");
        }
    }
}

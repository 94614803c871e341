package dev.kefu.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.agent.cache.ChatMessage;
import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.login.AgentAccount;
import dev.kefu.agent.net.ConnectionState;
import dev.kefu.agent.testing.SessionProbe;
import dev.kefu.agent.testing.SessionTest;
import dev.kefu.agent.testing.TestRelay;
import dev.kefu.protocol.Frame;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A visitor's earlier conversations that this app's cache never held (another agent answered and
 * closed them before this app logged in with a fresh cache folder): the relay lists them, their
 * messages are fetched when one is opened, and both stay in the cache, so they read offline too.
 * Against a real relay.
 */
class EarlierConversationsTest extends SessionTest {
    private static final long WAIT_S = 20;

    /**
     * What happened before the app logged in: bob (another agent, on his own connection) answered and
     * closed {@code earlier}; the visitor came back and waits in {@code now}.
     */
    record Past(String visitorId, String earlier, long earlierLastSeq, String now) {}

    static Past bobAnsweredAndClosed_thenTheVisitorCameBack(TestRelay relay) throws Exception {
        String visitorId = TestRelay.newVisitorId();
        try (WsClient bob = relay.agent("bob"); WsClient visitor = relay.visitor(visitorId, "Li Lei 李雷")) {
            bob.next("welcome");
            String earlier = visitor.say("我的订单 1001 还没到 my order is late").path("conv").asText();
            String cid = bob.reply(earlier, "It ships today. 今天发货。");
            bob.next(f -> "ack".equals(f.path("type").asText()) && cid.equals(f.path("cid").asText()), "bob's ack");
            bob.send(new Frame.Close(earlier));
            JsonNode closed = visitor.next(f -> "conv".equals(f.path("type").asText())
                    && "closed".equals(f.path("conv").path("status").asText()), "the close");
            String now = visitor.say("hello again").path("conv").asText();
            assertThat(now).isNotEqualTo(earlier);
            return new Past(visitorId, earlier, closed.path("conv").path("lastSeq").asLong(), now);
        }
    }

    /**
     * As {@link #bobAnsweredAndClosed_thenTheVisitorCameBack}, but bob logs off before the visitor comes
     * back: with no agent online, {@code now} is a left message (status {@code offline}).
     */
    static Past bobAnsweredAndClosed_thenTheVisitorLeftAMessage(TestRelay relay) throws Exception {
        String visitorId = TestRelay.newVisitorId();
        try (WsClient visitor = relay.visitor(visitorId, "Li Lei 李雷")) {
            String earlier;
            JsonNode closed;
            try (WsClient bob = relay.agent("bob")) {
                bob.next("welcome");
                earlier = visitor.say("我的订单 1001 还没到 my order is late").path("conv").asText();
                String cid = bob.reply(earlier, "It ships today. 今天发货。");
                bob.next(f -> "ack".equals(f.path("type").asText()) && cid.equals(f.path("cid").asText()), "bob's ack");
                bob.send(new Frame.Close(earlier));
                closed = visitor.next(f -> "conv".equals(f.path("type").asText())
                        && "closed".equals(f.path("conv").path("status").asText()), "the close");
            }
            visitor.next(f -> "service".equals(f.path("type").asText()) && !f.path("online").asBoolean(),
                    "service offline once bob is gone");
            String now = visitor.say("hello again, nobody there?").path("conv").asText();
            assertThat(now).isNotEqualTo(earlier);
            return new Past(visitorId, earlier, closed.path("conv").path("lastSeq").asLong(), now);
        }
    }

    @Test
    void earlierConversationNeverCached_isListedByTheRelay_readable_andThenReadOfflineFromTheCache() throws Exception {
        TestRelay relay = TestRelay.start(relayDir);
        Past past;
        AgentAccount alice;
        try {
            past = bobAnsweredAndClosed_thenTheVisitorCameBack(relay);
            alice = relay.login("alice");
            AgentSession s = closer.track(session(alice));
            SessionProbe probe = SessionProbe.attach(s);
            s.start();
            probe.awaitState(ConnectionState.ONLINE);
            probe.awaitConversation(c -> c.id().equals(past.now()), "the visitor's live conversation");
            assertThat(s.conversations().conversationsOfVisitor(past.visitorId()).get(WAIT_S, TimeUnit.SECONDS))
                    .extracting(Conversation::id).as("what the cache alone knows").containsExactly(past.now());

            List<Conversation> listed = s.conversations().visitorConversations(TestRelay.SITE, past.visitorId())
                    .get(WAIT_S, TimeUnit.SECONDS);
            assertThat(listed).extracting(Conversation::id).as("newest first, each once")
                    .containsExactly(past.now(), past.earlier());
            Conversation earlier = listed.get(1);
            assertThat(earlier.isLive()).isFalse();
            assertThat(earlier.agentName()).isEqualTo("Bob");
            assertThat(earlier.lastSeq()).isEqualTo(past.earlierLastSeq()).isGreaterThanOrEqualTo(2);
            assertThat(earlier.unread()).as("history is not unread").isZero();
            probe.awaitConversation(c -> c.id().equals(past.earlier()), "the earlier conversation told to listeners");
            assertThat(s.conversations().visitorConversations(TestRelay.SITE, past.visitorId())
                    .get(WAIT_S, TimeUnit.SECONDS)).extracting(Conversation::id).as("asked again: no repeats")
                    .containsExactly(past.now(), past.earlier());

            assertThat(s.conversations().latest(past.earlier()).get(WAIT_S, TimeUnit.SECONDS)).isEmpty();
            assertThat(s.conversations().requestMissing(past.earlier()).get(WAIT_S, TimeUnit.SECONDS)).isTrue();
            SessionProbe.History page = probe.awaitHistory(past.earlier());
            assertThat(page.messages()).extracting(ChatMessage::body)
                    .contains("我的订单 1001 还没到 my order is late", "It ships today. 今天发货。");
            assertThat(page.more()).isFalse();
            assertThat(s.conversations().conversation(past.earlier()).get(WAIT_S, TimeUnit.SECONDS).orElseThrow()
                    .unread()).isZero();
            s.close();
        } finally {
            relay.close();
        }

        try (AgentSession offline = session(alice)) { // no relay at all: the cache
            offline.start();
            assertThat(offline.conversations().conversationsOfVisitor(past.visitorId()).get(WAIT_S, TimeUnit.SECONDS))
                    .extracting(Conversation::id).containsExactly(past.now(), past.earlier());
            assertThat(offline.conversations().latest(past.earlier()).get(WAIT_S, TimeUnit.SECONDS))
                    .extracting(ChatMessage::body)
                    .containsExactly("我的订单 1001 还没到 my order is late", "It ships today. 今天发货。");
            assertThat(offline.conversations().requestMissing(past.earlier()).get(WAIT_S, TimeUnit.SECONDS))
                    .as("nothing missing").isTrue();
        }
    }

    @Test
    void relayStopped_listFailsSoThePanelKeepsToTheCache_andMissingMessagesWaitForTheRelay() throws Exception {
        TestRelay relay = TestRelay.start(relayDir);
        int port = relay.port();
        Past past = bobAnsweredAndClosed_thenTheVisitorCameBack(relay);
        AgentAccount alice = relay.login("alice");
        AgentSession s = closer.track(session(alice));
        SessionProbe probe = SessionProbe.attach(s);
        s.start();
        probe.awaitState(ConnectionState.ONLINE);
        s.conversations().visitorConversations(TestRelay.SITE, past.visitorId()).get(WAIT_S, TimeUnit.SECONDS);
        relay.close();
        probe.awaitDisconnected();

        assertThatThrownBy(() -> s.conversations().visitorConversations(TestRelay.SITE, past.visitorId())
                .get(WAIT_S, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        assertThat(s.conversations().conversationsOfVisitor(past.visitorId()).get(WAIT_S, TimeUnit.SECONDS))
                .extracting(Conversation::id).containsExactly(past.now(), past.earlier());
        assertThat(s.conversations().requestMissing(past.earlier()).get(WAIT_S, TimeUnit.SECONDS))
                .as("messages missing, relay away").isFalse();

        closer.track(TestRelay.start(relayDir, port));
        probe.awaitState(ConnectionState.ONLINE);
        assertThat(s.conversations().requestMissing(past.earlier()).get(WAIT_S, TimeUnit.SECONDS)).isTrue();
        assertThat(probe.awaitHistory(past.earlier()).messages()).extracting(ChatMessage::body)
                .contains("It ships today. 今天发货。");
    }
}

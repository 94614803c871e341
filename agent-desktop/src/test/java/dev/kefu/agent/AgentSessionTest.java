package dev.kefu.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.agent.cache.ChatCache;
import dev.kefu.agent.cache.ChatMessage;
import dev.kefu.agent.cache.MessageState;
import dev.kefu.agent.login.AgentAccount;
import dev.kefu.agent.net.ConnectionState;
import dev.kefu.agent.testing.SessionProbe;
import dev.kefu.agent.testing.SessionTest;
import dev.kefu.agent.testing.TestRelay;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent's services against a real relay in this JVM: receiving, the outbox across an app
 * restart while the relay is down, and the cache as the app's memory when there is no relay at all.
 */
class AgentSessionTest extends SessionTest {
    private <T extends AutoCloseable> T track(T c) {
        return closer.track(c);
    }

    @Test
    void visitorMessage_whileOnline_isCachedBeforeListenersHearOfIt() throws Exception {
        TestRelay relay = track(TestRelay.start(relayDir));
        AgentAccount alice = relay.login("alice");
        AgentSession session = track(session(alice));
        Path cacheFile = ChatCache.fileFor(agentDir, alice.server().fileKey(), alice.username());
        List<Optional<Long>> cachedWhenShown = new ArrayList<>();
        session.conversations().addListener(new dev.kefu.agent.chat.ConversationListener() {
            @Override
            public void messagesChanged(String conv, List<ChatMessage> messages, boolean live) {
                // A second connection to the file sees only committed rows.
                try (ChatCache reader = ChatCache.open(cacheFile)) {
                    cachedWhenShown.add(reader.latestMessages(conv, 10).stream().map(ChatMessage::seq).findFirst());
                }
            }
        });
        SessionProbe probe = SessionProbe.attach(session);
        session.start();
        probe.awaitState(ConnectionState.ONLINE);

        try (WsClient visitor = relay.visitor(TestRelay.newVisitorId(), "Li Lei")) {
            String conv = visitor.say("你好, is anyone there?").path("conv").asText();

            ChatMessage shown = probe.awaitMessage(m -> m.body().startsWith("你好"), "the visitor's message");
            assertThat(shown.conv()).isEqualTo(conv);
            assertThat(shown.seq()).isEqualTo(1);
            assertThat(shown.fromVisitor()).isTrue();
            assertThat(cachedWhenShown).containsExactly(Optional.of(1L));
            probe.awaitConversation(c -> c.id().equals(conv) && c.isWaiting() && c.unread() == 1,
                    "the conversation waiting, with one unread message");
        }
    }

    @Test
    void repliesQueuedOffline_afterAppAndRelayRestart_areDeliveredExactlyOnce() throws Exception {
        TestRelay relay = TestRelay.start(relayDir);
        int port = relay.port();
        AgentAccount alice = relay.login("alice");
        String visitorId = TestRelay.newVisitorId();
        String conv;

        // Online: the visitor writes, the agent has it.
        AgentSession first = session(alice);
        SessionProbe probe = SessionProbe.attach(first);
        first.start();
        probe.awaitState(ConnectionState.ONLINE);
        try (WsClient visitor = relay.visitor(visitorId, "Han Meimei")) {
            conv = visitor.say("my order is late").path("conv").asText();
            probe.awaitMessage(m -> m.seq() == 1 && conv.equals(m.conv()), "the visitor's message");
        }

        // The relay goes away; ten replies go into the outbox.
        relay.close();
        probe.awaitDisconnected();
        for (int i = 1; i <= 10; i++) {
            ChatMessage pending = first.conversations().send(conv, "reply " + i).get(5, TimeUnit.SECONDS);
            assertThat(pending.state()).isEqualTo(MessageState.PENDING);
        }
        assertThat(first.conversations().outboxSize().get(5, TimeUnit.SECONDS)).isEqualTo(10);
        first.close();

        // The app restarts while the relay is still down: history and queue come from the cache.
        AgentSession second = track(session(alice));
        SessionProbe probe2 = SessionProbe.attach(second);
        second.start();
        List<ChatMessage> shownOffline = second.conversations().latest(conv).get(5, TimeUnit.SECONDS);
        assertThat(shownOffline).hasSize(11);
        assertThat(shownOffline.subList(1, 11)).allMatch(m -> m.state() == MessageState.PENDING);

        // The relay comes back on the same data and port: the app reconnects by itself and resends.
        TestRelay back = track(TestRelay.start(relayDir, port));
        probe2.awaitState(ConnectionState.ONLINE);
        probe2.awaitOutbox(0);

        try (WsClient visitor = back.visitor(visitorId, "Han Meimei")) {
            List<JsonNode> stored = visitor.history(conv);
            Map<String, Long> replies = stored.stream().map(m -> m.path("body").asText())
                    .filter(b -> b.startsWith("reply "))
                    .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertThat(replies).hasSize(10).allSatisfy((body, count) -> assertThat(count).as(body).isEqualTo(1L));
            assertThat(stored).extracting(m -> m.path("seq").asLong())
                    .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L);
        }
        List<ChatMessage> after = second.conversations().latest(conv).get(5, TimeUnit.SECONDS);
        assertThat(after).extracting(ChatMessage::seq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L);
        assertThat(after.subList(1, 11)).allMatch(m -> m.state() == MessageState.SENT);
    }

    @Test
    void restartWithoutRelay_showsWholeHistoryFromCache() throws Exception {
        String conv;
        AgentAccount alice;
        try (TestRelay relay = TestRelay.start(relayDir)) {
            alice = relay.login("alice");
            try (AgentSession online = session(alice);
                 WsClient visitor = relay.visitor(TestRelay.newVisitorId(), "Wang Wu")) {
                SessionProbe probe = SessionProbe.attach(online);
                online.start();
                probe.awaitState(ConnectionState.ONLINE);
                conv = visitor.say("first").path("conv").asText();
                visitor.say("second");
                probe.awaitMessage(m -> "second".equals(m.body()), "second message");
                online.conversations().send(conv, "answer one");
                online.conversations().send(conv, "answer two");
                probe.awaitMessage(m -> "answer two".equals(m.body()) && m.state() == MessageState.SENT, "ack of answer two");
                visitor.say("thanks");
                probe.awaitMessage(m -> "thanks".equals(m.body()), "third visitor message");
            }
        }

        try (AgentSession offline = session(alice)) {
            SessionProbe probe = SessionProbe.attach(offline);
            offline.start();
            probe.awaitState(ConnectionState.RECONNECTING);
            assertThat(offline.conversations().conversations().get(5, TimeUnit.SECONDS))
                    .extracting(c -> c.id()).containsExactly(conv);
            assertThat(offline.conversations().latest(conv).get(5, TimeUnit.SECONDS))
                    .extracting(ChatMessage::seq, ChatMessage::body)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple(1L, "first"),
                            org.assertj.core.groups.Tuple.tuple(2L, "second"),
                            org.assertj.core.groups.Tuple.tuple(3L, "answer one"),
                            org.assertj.core.groups.Tuple.tuple(4L, "answer two"),
                            org.assertj.core.groups.Tuple.tuple(5L, "thanks"));
        }
    }
}

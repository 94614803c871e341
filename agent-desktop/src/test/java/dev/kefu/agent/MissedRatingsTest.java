package dev.kefu.agent;

import com.fasterxml.jackson.databind.JsonNode;
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

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ratings given while the app was not connected: closed conversations are not replayed after a
 * welcome, so the app asks the relay which ones were closed or rated meanwhile. Against a real relay;
 * the rating reaches the listeners (the chat and the side panel follow them) and stays in the cache.
 */
class MissedRatingsTest extends SessionTest {
    private static final String COMMENT = "很满意 very helpful";

    /** A conversation of {@code visitorId}, answered by the session's agent and closed. */
    private static String closedConversation(AgentSession s, SessionProbe probe, WsClient visitor) throws Exception {
        String conv = visitor.say("where is my parcel?").path("conv").asText();
        s.conversations().send(conv, "It arrives tomorrow.");
        probe.awaitMessage(m -> conv.equals(m.conv()) && m.seq() == 2 && m.state() == MessageState.SENT, "the reply acked");
        s.conversations().close(conv);
        probe.awaitConversation(c -> c.id().equals(conv) && !c.isLive(), "the conversation closed");
        return conv;
    }

    /** The visitor rates {@code conv} and waits for the relay's answer (so the rating is stored). */
    private static void rate(WsClient visitor, String conv) throws Exception {
        visitor.send(new Frame.Rate(conv, 4, COMMENT));
        JsonNode answer = visitor.next(f -> "conv".equals(f.path("type").asText()) && f.path("conv").has("rating"),
                "the relay's answer to the rating");
        assertThat(answer.path("conv").path("rating").asInt()).isEqualTo(4);
    }

    private Conversation cached(AccountAndConv what) throws Exception {
        try (AgentSession offline = session(what.account)) { // no relay: what the cache holds
            return offline.conversations().conversation(what.conv).get(5, TimeUnit.SECONDS).orElseThrow();
        }
    }

    private record AccountAndConv(AgentAccount account, String conv) {}

    @Test
    void ratingGivenWhileDisconnected_arrivesAfterReconnect_andStaysInTheCache() throws Exception {
        TestRelay relay = TestRelay.start(relayDir);
        int port = relay.port();
        AgentAccount alice = relay.login("alice");
        String visitorId = TestRelay.newVisitorId();
        AgentSession s = closer.track(session(alice));
        SessionProbe probe = SessionProbe.attach(s);
        s.start();
        probe.awaitState(ConnectionState.ONLINE);
        String conv;
        try (WsClient visitor = relay.visitor(visitorId, "Li Lei")) {
            conv = closedConversation(s, probe, visitor);
        }
        relay.close();
        probe.awaitDisconnected();

        // The relay is back on another port, which the app does not know: the visitor rates meanwhile.
        try (TestRelay elsewhere = TestRelay.start(relayDir); WsClient visitor = elsewhere.visitor(visitorId, "Li Lei")) {
            rate(visitor, conv);
        }
        closer.track(TestRelay.start(relayDir, port)); // back where the app reconnects

        Conversation rated = probe.awaitConversation(c -> c.id().equals(conv) && c.isRated(), "the missed rating");
        assertThat(rated.rating()).isEqualTo(4);
        assertThat(rated.ratingComment()).isEqualTo(COMMENT);
        assertThat(rated.isLive()).isFalse();
        s.close(); // closing again after the test does nothing

        Conversation kept = cached(new AccountAndConv(alice, conv));
        assertThat(kept.rating()).isEqualTo(4);
        assertThat(kept.ratingComment()).isEqualTo(COMMENT);
    }

    @Test
    void ratingGivenWhileTheAppWasClosed_arrivesAfterTheNextLogin() throws Exception {
        TestRelay relay = closer.track(TestRelay.start(relayDir));
        AgentAccount alice = relay.login("alice");
        String visitorId = TestRelay.newVisitorId();
        String conv;
        try (WsClient visitor = relay.visitor(visitorId, "Li Lei")) {
            try (AgentSession first = session(alice)) {
                SessionProbe probe = SessionProbe.attach(first);
                first.start();
                probe.awaitState(ConnectionState.ONLINE);
                conv = closedConversation(first, probe, visitor);
            }
            rate(visitor, conv); // the app is closed
        }

        AgentSession again = closer.track(session(alice));
        SessionProbe probe = SessionProbe.attach(again);
        again.start();
        Conversation rated = probe.awaitConversation(c -> c.id().equals(conv) && c.isRated(), "the missed rating");
        assertThat(rated.rating()).isEqualTo(4);
        assertThat(rated.ratingComment()).isEqualTo(COMMENT);
    }
}

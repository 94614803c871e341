package dev.kefu.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.agent.cache.ContactDetails;
import dev.kefu.agent.cache.Conversation;
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
 * The contact details a visitor leaves (the widget's form: {@code contact}, answered to agents as
 * {@code conv.contact}) against a real relay: they reach the app's cache and listeners, read from the
 * cache with no relay after a restart, and a newer form replaces them, whether it comes live or while
 * the app was closed (then with the welcome).
 */
class ContactDetailsTest extends SessionTest {
    /** Chinese, a 4-byte emoji, a line break. */
    private static final String TEXT = "订单 #1024 少了一件 😊\nPlease call me after 6 pm.";

    /** The visitor sends the form for {@code conv} and waits for the relay's answer (so the contact is stored). */
    private static void leaveContact(WsClient visitor, String conv, String name, String email, String phone, String text)
            throws Exception {
        visitor.send(new Frame.Contact(conv, name, email, phone, text, "k-" + System.nanoTime()));
        JsonNode answer = visitor.next(f -> "conv".equals(f.path("type").asText()) && f.path("conv").has("contact")
                && f.has("cid"), "the relay's answer to the contact form");
        assertThat(answer.path("conv").path("contact").path("name").asText()).isEqualTo(name);
    }

    private Conversation cachedWithoutRelay(AgentAccount account, String conv) throws Exception {
        try (AgentSession offline = session(account)) { // never started: what the cache holds
            return offline.conversations().conversation(conv).get(5, TimeUnit.SECONDS).orElseThrow();
        }
    }

    @Test
    void contactLeftWithAMessage_reachesTheCache_andReadsAfterARestartWithoutTheRelay() throws Exception {
        TestRelay relay = TestRelay.start(relayDir);
        AgentAccount alice = relay.login("alice");
        AgentSession s = closer.track(session(alice));
        SessionProbe probe = SessionProbe.attach(s);
        s.start();
        probe.awaitState(ConnectionState.ONLINE);
        String conv;
        try (WsClient visitor = relay.visitor(TestRelay.newVisitorId(), null)) {
            conv = visitor.say("我的订单少了东西").path("conv").asText();
            leaveContact(visitor, conv, "李雷 Li Lei", "li.lei@example.com", "+86 138 0013 8000", TEXT);
        }

        Conversation live = probe.awaitConversation(c -> c.id().equals(conv) && c.hasContact(), "the contact");
        ContactDetails expected = new ContactDetails("李雷 Li Lei", "li.lei@example.com", "+86 138 0013 8000", TEXT);
        assertThat(live.contact()).isEqualTo(expected);
        s.close();
        relay.close();

        assertThat(cachedWithoutRelay(alice, conv).contact()).isEqualTo(expected);
    }

    @Test
    void newerContact_replacesTheCachedOne_whenLeftWhileTheAppWasClosed_andLive() throws Exception {
        TestRelay relay = closer.track(TestRelay.start(relayDir));
        AgentAccount alice = relay.login("alice");
        String visitorId = TestRelay.newVisitorId();
        try (WsClient visitor = relay.visitor(visitorId, null)) {
            String conv = visitor.say("hello?").path("conv").asText();
            try (AgentSession first = session(alice)) {
                SessionProbe probe = SessionProbe.attach(first);
                first.start();
                leaveContact(visitor, conv, "Li Lei", "li@example.com", "138", "first form");
                probe.awaitConversation(c -> c.id().equals(conv) && c.hasContact(), "the first contact");
            }
            // the app is closed: the visitor corrects the form (no email this time)
            leaveContact(visitor, conv, "李雷", null, "+86 139 0000 0000", TEXT);

            AgentSession again = closer.track(session(alice));
            SessionProbe probe = SessionProbe.attach(again);
            again.start();
            Conversation afterWelcome = probe.awaitConversation(c -> c.id().equals(conv) && c.hasContact()
                    && "李雷".equals(c.contact().name()), "the newer contact, with the welcome");
            assertThat(afterWelcome.contact()).isEqualTo(new ContactDetails("李雷", null, "+86 139 0000 0000", TEXT));

            // and once more while the app is connected
            leaveContact(visitor, conv, "李雷", "lilei@example.cn", null, null);
            Conversation live = probe.awaitConversation(c -> c.id().equals(conv) && c.hasContact()
                    && c.contact().email() != null && c.contact().email().endsWith(".cn"), "the newest contact, live");
            assertThat(live.contact()).isEqualTo(new ContactDetails("李雷", "lilei@example.cn", null, null));
            again.close();
            relay.close();
            assertThat(cachedWithoutRelay(alice, conv).contact()).isEqualTo(live.contact());
        }
    }
}

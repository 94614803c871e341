package dev.kefu.e2e;

import dev.kefu.e2e.harness.HostSite;
import dev.kefu.e2e.harness.ShopPage;
import dev.kefu.e2e.harness.TestRelay;
import dev.kefu.e2e.harness.WidgetPage;
import dev.kefu.e2e.harness.WidgetPage.Bubble;
import dev.kefu.relay.auth.VisitorIdentity;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * A customer signed in by the shop (docs/protocol.md, "A signed-in user on every device") chats on
 * the phone, then opens the shop on the laptop: one history. Two host origins play the two devices
 * (each origin has storage of its own, as two browsers do). Then the customer signs out on the
 * laptop and someone else signs in there: nothing of the first customer's shows.
 */
class SignedInUserTest extends BrowserTest {
    private static final String SECRET = "shop-secret-0123456789"; // TestRelay's shop
    private static final String ON_THE_PHONE = "手机上问的 asked on the phone";
    private static final String ANSWER = "已发货 it ships today";
    private static final String ON_THE_LAPTOP = "电脑上接着问 and on the laptop";

    private static ShopPage signedIn(TestRelay relay, String userId) {
        return ShopPage.embedding(relay.baseUrl()).signedIn(userId, VisitorIdentity.userHash(SECRET, userId));
    }

    /** The visitor on {@code page} asks, the agent answers, and both bubbles are acked: the conversation. */
    private static String askedAndAnswered(WsClient agent, WidgetPage page, String question, String answer)
            throws InterruptedException {
        page.type(question);
        String conv = agent.nextVisitorMessage().get("conv").asText();
        agent.reply(conv, answer);
        page.awaitMessages(2, "the question and the answer", Bubble::acked);
        return conv;
    }

    @Test
    void signedInUser_onTwoDevices_seesOneHistory_andAfterSignOutTheNextUserSeesNoneOfIt() throws Exception {
        TestRelay relay = closeAfter(TestRelay.start(data));
        HostSite laptopOrigin = closeAfter(HostSite.start());
        try (WsClient agent = relay.agent()) {
            WidgetPage phone = browser.open(site.publish("/", signedIn(relay, "customer42"))).awaitConnected();
            String conv = askedAndAnswered(agent, phone, ON_THE_PHONE, ANSWER);
            String usersVisitor = phone.visitorId();

            WidgetPage laptop = browser.open(laptopOrigin.publish("/", signedIn(relay, "customer42"))).awaitConnected();
            laptop.awaitMessages(2, "the phone's conversation on the laptop", Bubble::acked);
            assertThat(laptop.visitorId()).as("one visitor on both devices").isEqualTo(usersVisitor);
            laptop.type(ON_THE_LAPTOP);
            assertThat(agent.nextVisitorMessage().get("conv").asText()).as("the same conversation").isEqualTo(conv);
            assertThat(laptop.awaitMessages(3, "the whole history on the laptop", Bubble::acked))
                    .extracting(Bubble::from, Bubble::text)
                    .containsExactly(tuple("visitor", ON_THE_PHONE), tuple("agent", ANSWER), tuple("visitor", ON_THE_LAPTOP));

            // Signed out on the laptop (a shared computer), then someone else signs in there.
            laptop.js("Kefu('logout')");
            laptop.await("a new anonymous visitor", p -> p.connected() && !usersVisitor.equals(p.visitorId()));
            assertThat(laptop.messages()).isEmpty();
            WidgetPage nextUser = browser.open(laptopOrigin.publish("/", signedIn(relay, "someoneElse"))).awaitConnected();
            assertThat(nextUser.visitorId()).isNotEqualTo(usersVisitor);
            assertThat(nextUser.messages()).isEmpty();
        }
    }

    @Test
    void hostThatSignsTheUserInLate_showsTheirHistory_andLeavesNoAnonymousVisitorBehind() throws Exception {
        TestRelay relay = closeAfter(TestRelay.start(data));
        try (WsClient agent = relay.agent()) {
            WidgetPage first = browser.open(site.publish("/", signedIn(relay, "customer7"))).awaitConnected();
            String conv = askedAndAnswered(agent, first, ON_THE_PHONE, ANSWER);
            String usersVisitor = first.visitorId();
            agent.drain();

            // The next page of the same browser signs the user in only 1.5 s after it loads.
            ShopPage late = ShopPage.embedding(relay.baseUrl())
                    .signedInLater("customer7", VisitorIdentity.userHash(SECRET, "customer7"), 1500);
            WidgetPage next = browser.open(site.publish("/late", late));
            next.await("connected as the user", p -> p.connected() && usersVisitor.equals(p.visitorId()));
            assertThat(next.awaitMessages(2, "the user's history", Bubble::acked))
                    .extracting(Bubble::from, Bubble::text)
                    .containsExactly(tuple("visitor", ON_THE_PHONE), tuple("agent", ANSWER));
            agent.reply(conv, "还在吗? still there?");
            next.awaitMessages(3, "a new answer on the late page", Bubble::acked);
            assertThat(agent.drain()).as("no other visitor came online meanwhile")
                    .filteredOn(f -> "visitor".equals(f.path("type").asText()))
                    .allSatisfy(f -> assertThat(f.path("visitor").path("id").asText()).isEqualTo(usersVisitor));
        }
    }

    @Test
    void chatStartedAnonymously_goesOn_afterTheShopperSignsInMidPage_asTheUserOfAnotherDevice() throws Exception {
        TestRelay relay = closeAfter(TestRelay.start(data));
        HostSite laptopOrigin = closeAfter(HostSite.start());
        try (WsClient agent = relay.agent()) {
            // The user signed in on the phone before: that is their visitor.
            WidgetPage phone = browser.open(site.publish("/", signedIn(relay, "customer9"))).awaitConnected();
            String usersVisitor = phone.visitorId();

            // On the laptop, anonymous: a question, an answer.
            WidgetPage laptop = browser.open(laptopOrigin.publish("/", ShopPage.embedding(relay.baseUrl())))
                    .awaitConnected();
            String anonymousId = laptop.visitorId();
            String conv = askedAndAnswered(agent, laptop, ASKED_ANONYMOUSLY, WHICH_ORDER);

            // The shopper logs in to check the order, without leaving the page.
            laptop.js(ShopPage.signIn("customer9", VisitorIdentity.userHash(SECRET, "customer9")));
            laptop.await("signed in as the user", p -> p.connected() && usersVisitor.equals(p.visitorId()));
            assertThat(anonymousId).isNotEqualTo(usersVisitor);
            laptop.type(ORDER_NUMBER);
            assertThat(agent.nextVisitorMessage().get("conv").asText()).as("the same conversation").isEqualTo(conv);
            agent.reply(conv, SHIPS);
            assertThat(laptop.awaitMessages(4, "the chat, going on", Bubble::acked))
                    .extracting(Bubble::from, Bubble::text)
                    .containsExactly(tuple("visitor", ASKED_ANONYMOUSLY), tuple("agent", WHICH_ORDER),
                            tuple("visitor", ORDER_NUMBER), tuple("agent", SHIPS));

            // The phone has it too, and a new page of the laptop shows it, each bubble once.
            assertThat(phone.awaitMessages(4, "the laptop's chat on the phone", Bubble::acked))
                    .extracting(Bubble::text).containsExactly(ASKED_ANONYMOUSLY, WHICH_ORDER, ORDER_NUMBER, SHIPS);
            WidgetPage again = browser.open(laptopOrigin.publish("/", signedIn(relay, "customer9"))).awaitConnected();
            assertThat(again.awaitMessages(4, "the chat on the next page", Bubble::acked))
                    .extracting(Bubble::text).containsExactly(ASKED_ANONYMOUSLY, WHICH_ORDER, ORDER_NUMBER, SHIPS);
        }
    }

    private static final String ASKED_ANONYMOUSLY = "我的订单在哪 where is my order?";
    private static final String WHICH_ORDER = "请问订单号? which order number?";
    private static final String ORDER_NUMBER = "登录了, 订单 1234 signed in, order 1234";
    private static final String SHIPS = "周一发货 it ships Monday";
}

package dev.kefu.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.e2e.harness.ShopPage;
import dev.kefu.e2e.harness.TestRelay;
import dev.kefu.e2e.harness.WidgetPage;
import dev.kefu.e2e.harness.WidgetPage.Bubble;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.NoAlertPresentException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/** A visitor and an agent talk through the widget in Chromium and a real relay. */
class ChatRoundTripTest extends BrowserTest {
    static final String VISITOR_TEXT = "你好，我的订单还没到 📦🚚 谢谢！";
    static final String AGENT_TEXT = "您好 😊 马上为您查询，请稍等";

    TestRelay relay;
    WsClient agent;

    @BeforeEach
    void startRelay() throws Exception {
        relay = closeAfter(TestRelay.start(data));
        agent = closeAfter(relay.agent());
    }

    @Test
    void visitorAndAgent_exchangeChineseAndEmoji_overWebSocket() throws Exception {
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl()))).awaitConnected();

        exchangeOneMessageEachWay(widget);

        assertThat(widget.transport()).isEqualTo("ws");
    }

    @Test
    void withoutWebSocket_sameExchange_overLongPolling() throws Exception {
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl()).withoutWebSocket()))
                .awaitConnected();

        exchangeOneMessageEachWay(widget);

        assertThat(widget.js("return typeof window.WebSocket")).isEqualTo("undefined");
        assertThat(widget.transport()).isEqualTo("lp");
    }

    private void exchangeOneMessageEachWay(WidgetPage widget) throws InterruptedException {
        widget.type(VISITOR_TEXT);
        JsonNode received = agent.nextVisitorMessage();
        agent.reply(received.get("conv").asText(), AGENT_TEXT);

        assertThat(received.get("body").asText()).isEqualTo(VISITOR_TEXT);
        assertThat(widget.awaitMessages(2, "the reply shown, the visitor's acked", b -> !b.state().equals("pending")))
                .extracting(Bubble::from, Bubble::text)
                .containsExactly(tuple("visitor", VISITOR_TEXT), tuple("agent", AGENT_TEXT));
    }

    @Test
    void agentMessageWithMarkup_showsAsText_andRunsNothing() throws Exception {
        String markup = "<img src=x onerror=alert(1)>";
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl()))).awaitConnected();
        widget.type("图片发不出来");
        String conv = agent.nextVisitorMessage().get("conv").asText();

        agent.reply(conv, markup);
        widget.awaitMessages(2, "the markup shown", b -> true);
        // A second message after it: an image's error handler would have run by the time this shows.
        agent.reply(conv, "after");
        widget.awaitMessages(3, "the message after it shown", b -> true);

        assertThat(widget.messages().get(1).text()).isEqualTo(markup);
        assertThat(widget.js("""
                var root = document.getElementById('kefu-widget').shadowRoot;
                return root.querySelectorAll('img').length + document.querySelectorAll('img').length;
                """)).isEqualTo(0L);
        assertThatThrownBy(() -> browser.driver().switchTo().alert()).isInstanceOf(NoAlertPresentException.class);
    }

    @Test
    void agentInvite_opensPanel_withAgentsMessage() throws Exception {
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl()))).awaitConnected();
        assertThat(widget.panelOpen()).isFalse();
        String visitorId = widget.visitorId();
        agent.awaitVisitorOnline(visitorId);

        agent.invite(visitorId, "您好！这款茶杯今天包邮，需要帮忙吗？");

        widget.await("the invite opened the panel", WidgetPage::panelOpen);
        assertThat(widget.awaitMessages(1, "the invite shown", b -> true))
                .extracting(Bubble::from, Bubble::text)
                .containsExactly(tuple("agent", "您好！这款茶杯今天包邮，需要帮忙吗？"));
    }
}

package dev.kefu.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.e2e.harness.ShopPage;
import dev.kefu.e2e.harness.TcpProxy;
import dev.kefu.e2e.harness.TestRelay;
import dev.kefu.e2e.harness.WidgetPage;
import dev.kefu.e2e.harness.WidgetPage.Bubble;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/** A conversation survives the visitor reloading the page and the operator restarting the relay. */
class ReloadAndRestartTest extends BrowserTest {

    @Test
    void reloadMidConversation_bringsBackHistoryAndPending_thenSendsPendingOnce() throws Exception {
        TestRelay relay = closeAfter(TestRelay.start(data));
        TcpProxy proxy = closeAfter(TcpProxy.to(relay.port()));
        WsClient agent = closeAfter(relay.agent());
        // widget.js straight from the relay, the chat through the proxy: a reload works while chat is down.
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl())
                .with("relay", proxy.baseUrl()))).awaitConnected();
        widget.type("订单 12345 什么时候发货？");
        String conv = agent.nextVisitorMessage().get("conv").asText();
        agent.reply(conv, "今天下午发货");
        widget.awaitMessages(2, "the reply shown", Bubble::acked);
        proxy.refuseNew(true);
        proxy.cutAll();
        widget.awaitDisconnected();
        widget.type("好的，谢谢");
        widget.type("能开发票吗？");
        widget.awaitMessages(4, "two pending", b -> true);

        int connectionsBefore = proxy.connectionsAccepted();
        browser.driver().navigate().refresh();

        widget.awaitMessages(4, "history and pending back after the reload", b -> true);
        assertThat(widget.messages()).extracting(Bubble::from, Bubble::state, Bubble::text).containsExactly(
                tuple("visitor", "sent", "订单 12345 什么时候发货？"),
                tuple("agent", "sent", "今天下午发货"),
                tuple("visitor", "pending", "好的，谢谢"),
                tuple("visitor", "pending", "能开发票吗？"));
        // The chat stays down while the reloaded widget fails to reconnect three times.
        proxy.awaitConnectionsAccepted(connectionsBefore + 3, Duration.ofSeconds(20));
        proxy.refuseNew(false);
        assertThat(agent.nextVisitorMessages(2)).extracting(m -> m.get("body").asText())
                .containsExactly("好的，谢谢", "能开发票吗？");
        widget.awaitMessages(4, "all acked", Bubble::acked);
        assertThat(agent.history(conv)).hasSize(4);
        assertThat(widget.transport()).isEqualTo("ws");
    }

    @Test
    void relayRestartMidConversation_reconnects_andDeliversWhatWasTypedOnce() throws Exception {
        ProxiedChat chat = chatThroughProxy("重启前 before the restart");
        TestRelay relay = chat.relay();
        TcpProxy proxy = chat.proxy();
        WidgetPage widget = chat.widget();
        String conv = chat.conv();
        try (WsClient agent = relay.agent()) {
            agent.reply(conv, "收到");
            widget.awaitMessages(2, "the reply shown", Bubble::acked);
        }

        int connectionsBefore = proxy.connectionsAccepted();
        relay.stop();
        widget.awaitDisconnected();
        widget.type("重启中 1");
        widget.type("重启中 2");
        // Down long enough for three reconnect attempts to fail (once the cue to give up on WebSocket).
        proxy.awaitConnectionsAccepted(connectionsBefore + 3, Duration.ofSeconds(20));
        relay.restart();

        try (WsClient agent = relay.agent(Map.of(conv, 2L))) {
            JsonNode first = agent.nextVisitorMessage();
            JsonNode second = agent.nextVisitorMessage();
            assertThat(first.get("body").asText()).isEqualTo("重启中 1");
            assertThat(second.get("body").asText()).isEqualTo("重启中 2");
            widget.awaitMessages(4, "all acked", Bubble::acked);
            assertThat(agent.history(conv)).extracting(m -> m.get("body").asText())
                    .containsExactly("重启前 before the restart", "收到", "重启中 1", "重启中 2");
        }
        assertThat(widget.transport()).isEqualTo("ws");
    }

    @Test
    void messageTypedDuringALongBackoff_isDeliveredOnceWithinSecondsOfTheRelayBeingBack() throws Exception {
        ProxiedChat chat = chatThroughProxy("停机前 before the stop");
        TestRelay relay = chat.relay();
        TcpProxy proxy = chat.proxy();
        WidgetPage widget = chat.widget();
        String conv = chat.conv();

        int connectionsBefore = proxy.connectionsAccepted();
        relay.stop();
        widget.awaitDisconnected();
        // One retry soon after the 1012, then five refused ones grow the backoff (0.5, 1, 2, 4, 8 s
        // with jitter): after the sixth attempt the widget waits out 8 s or more.
        proxy.awaitConnectionsAccepted(connectionsBefore + 6, Duration.ofSeconds(40));
        widget.await("the sixth attempt refused", Duration.ofSeconds(5), w -> "".equals(w.js(
                "return document.getElementById('kefu-widget').getAttribute('data-transport')")));
        relay.restart();

        // Typing cuts the backoff short: delivered well before the 8 s it had left to wait.
        widget.type("重启后 after the restart");
        widget.await("the message typed during the backoff acked", Duration.ofSeconds(5),
                w -> w.messages().size() == 2 && w.messages().stream().allMatch(Bubble::acked));
        try (WsClient agent = relay.agent()) {
            assertThat(agent.history(conv)).extracting(m -> m.get("body").asText())
                    .containsExactly("停机前 before the stop", "重启后 after the restart");
        }
        assertThat(widget.transport()).isEqualTo("ws");
    }

    /** A relay on a fixed port, the widget talking to it through a counting proxy, and a first message acked. */
    private ProxiedChat chatThroughProxy(String firstMessage) throws Exception {
        TestRelay relay = closeAfter(TestRelay.startOnFixedPort(data));
        // The proxy counts the widget's reconnect attempts while the relay is down.
        TcpProxy proxy = closeAfter(TcpProxy.to(relay.port()));
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl())
                .with("relay", proxy.baseUrl()))).awaitConnected();
        try (WsClient agent = relay.agent()) {
            widget.type(firstMessage);
            String conv = agent.nextVisitorMessage().get("conv").asText();
            widget.awaitMessages(1, "the first message acked", Bubble::acked);
            return new ProxiedChat(relay, proxy, widget, conv);
        }
    }

    private record ProxiedChat(TestRelay relay, TcpProxy proxy, WidgetPage widget, String conv) {}
}

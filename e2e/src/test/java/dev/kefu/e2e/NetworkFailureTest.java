package dev.kefu.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.e2e.harness.ShopPage;
import dev.kefu.e2e.harness.TcpProxy;
import dev.kefu.e2e.harness.TestRelay;
import dev.kefu.e2e.harness.WidgetPage;
import dev.kefu.e2e.harness.WidgetPage.Bubble;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The network fails between the browser and the relay: a TCP proxy in between cuts, refuses or
 * silently stalls connections, and DevTools turns the browser offline. Whatever the visitor typed
 * meanwhile reaches the agent once, in order.
 */
class NetworkFailureTest extends BrowserTest {

    @ParameterizedTest(name = "transport {0}")
    @ValueSource(strings = {"ws", "lp"})
    void offlineTyping_deliversAllFiveOnceInOrder(String transport) throws Exception {
        TestRelay relay = closeAfter(TestRelay.start(data));
        TcpProxy proxy = closeAfter(TcpProxy.to(relay.port()));
        WsClient agent = closeAfter(relay.agent());
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(proxy.baseUrl())
                .with("transport", transport))).awaitConnected();

        // Airplane mode: the browser knows it is offline, and the open socket really drops.
        browser.setOffline(true);
        proxy.refuseNew(true);
        proxy.cutAll();
        widget.awaitDisconnected();
        List<String> typed = IntStream.rangeClosed(1, 5).mapToObj(i -> "离线消息 " + i + " offline").toList();
        typed.forEach(widget::type);
        widget.awaitMessages(5, "all shown pending", b -> b.state().equals("pending"));

        proxy.refuseNew(false);
        browser.setOffline(false);

        List<JsonNode> received = agent.nextVisitorMessages(5);
        assertThat(received).extracting(m -> m.get("body").asText()).containsExactlyElementsOf(typed);
        List<Bubble> shown = widget.awaitMessages(5, "all acked", Bubble::acked);
        assertThat(shown).extracting(Bubble::text).containsExactlyElementsOf(typed);
        assertThat(agent.history(received.get(0).get("conv").asText()))
                .extracting(m -> m.get("body").asText()).containsExactlyElementsOf(typed);
        assertThat(widget.transport()).isEqualTo(transport);
    }

    @Test
    void silentDrop_noticedWithinTwoHeartbeats_andNothingTypedIsLost() throws Exception {
        int heartbeatSec = 2;
        TestRelay relay = closeAfter(TestRelay.start(data, c -> c.withHeartbeat(heartbeatSec)));
        TcpProxy proxy = closeAfter(TcpProxy.to(relay.port()));
        WsClient agent = closeAfter(relay.agent());
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(proxy.baseUrl()))).awaitConnected();
        widget.type("断线前 before");
        String conv = agent.nextVisitorMessage().get("conv").asText();
        widget.awaitMessages(1, "acked", Bubble::acked);

        // Pulled cable: nothing passes, nobody is told.
        proxy.stall(true);
        long stalledAt = System.nanoTime();
        widget.type("黑洞里 into the void");
        widget.awaitDisconnected();
        Duration noticedAfter = Duration.ofNanos(System.nanoTime() - stalledAt);
        assertThat(noticedAfter).isLessThanOrEqualTo(Duration.ofSeconds(2L * heartbeatSec).plusMillis(1500));
        widget.type("断线后 after");
        // The cable stays out while the widget tries twice more: a socket that never opens.
        proxy.awaitConnectionsAccepted(proxy.connectionsAccepted() + 2, Duration.ofSeconds(20));
        proxy.stall(false);

        assertThat(agent.nextVisitorMessages(2)).extracting(m -> m.get("body").asText())
                .containsExactly("黑洞里 into the void", "断线后 after");
        widget.awaitConnected();
        assertThat(widget.awaitMessages(3, "all acked", Bubble::acked)).extracting(Bubble::text)
                .containsExactly("断线前 before", "黑洞里 into the void", "断线后 after");
        assertThat(agent.history(conv)).extracting(m -> m.get("body").asText())
                .containsExactly("断线前 before", "黑洞里 into the void", "断线后 after");
        assertThat(widget.transport()).as("WebSocket worked before the drop: no fallback").isEqualTo("ws");
    }
}

package dev.kefu.e2e;

import dev.kefu.e2e.harness.ShopPage;
import dev.kefu.e2e.harness.TestRelay;
import dev.kefu.e2e.harness.WidgetPage;
import dev.kefu.e2e.harness.WidgetPage.Bubble;
import dev.kefu.relay.testing.WsClient;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A site with a strict Content-Security-Policy allows exactly what the widget's README asks for
 * (its script and connections to the relay, no 'unsafe-inline', no style-src): the widget is
 * styled, chats over either transport, and trips no violation.
 */
class StrictCspTest extends BrowserTest {

    @ParameterizedTest(name = "transport {0}")
    @ValueSource(strings = {"ws", "lp"})
    void strictCspPage_widgetStyledAndChats_withoutViolations(String transport) throws Exception {
        TestRelay relay = closeAfter(TestRelay.start(data));
        WsClient agent = closeAfter(relay.agent());
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl())
                .with("transport", transport).strictCsp())).awaitConnected();

        widget.type("CSP 下能用吗？");
        agent.reply(agent.nextVisitorMessage().get("conv").asText(), "能用 ✅");
        widget.awaitMessages(2, "the reply shown", Bubble::acked);

        assertThat(widget.transport()).isEqualTo(transport);
        assertThat(widget.js("""
                var launcher = document.getElementById('kefu-widget').shadowRoot.querySelector('[data-kefu="launcher"]');
                var s = getComputedStyle(launcher);
                return s.position + ' ' + s.width + ' ' + s.borderRadius;
                """)).as("the widget's stylesheet applied").isEqualTo("fixed 56px 50%");
        assertThat(widget.js("return window.cspViolations")).asInstanceOf(InstanceOfAssertFactories.LIST).isEmpty();
        assertThat(widget.js("return window.evalBlocked")).as("the policy is in force").isEqualTo(true);
    }
}

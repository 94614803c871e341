package dev.kefu.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.relay.testing.WsClient;
import dev.kefu.e2e.harness.ShopPage;
import dev.kefu.e2e.harness.TestRelay;
import dev.kefu.e2e.harness.WidgetPage;
import dev.kefu.e2e.harness.WidgetPage.Bubble;
import dev.kefu.protocol.Frame;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** An agent closes the chat; the visitor rates it once, the statistics count it, and a reload does not ask again. */
class RatingTest extends BrowserTest {
    static final Path SCREENSHOTS = PanelLayoutTest.SCREENSHOTS;

    @Test
    void agentCloses_visitorRatesFourStars_statsCountIt_andReloadDoesNotAskAgain() throws Exception {
        TestRelay relay = closeAfter(TestRelay.start(data));
        WsClient agent = closeAfter(relay.agent());
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl()))).awaitConnected();
        widget.type("你好，我想退货 🙏");
        String conv = agent.nextVisitorMessage().get("conv").asText();
        agent.send(new Frame.Accept(conv));
        agent.reply(conv, "好的，已为您办理退货 ✅");
        widget.awaitMessages(2, "the reply shown", Bubble::acked);
        assertThat(widget.cardState("rate")).as("no rating while the chat is open").isEmpty();

        agent.send(new Frame.Close(conv));
        widget.awaitCard("rate", "form");
        browser.screenshot(SCREENSHOTS.resolve("rate-form.png"));
        widget.rate(4, "处理很快，谢谢 👍");
        assertThat(widget.text("r-caption")).isEqualTo("满意");
        browser.screenshot(SCREENSHOTS.resolve("rate-chosen.png"));
        widget.find("r-submit").click();

        JsonNode rated = agent.next(f -> "conv".equals(f.path("type").asText()) && f.path("conv").has("rating"),
                "the conversation rated").get("conv");
        assertThat(rated.get("id").asText()).isEqualTo(conv);
        assertThat(rated.get("rating").asInt()).isEqualTo(4);
        assertThat(rated.get("ratingComment").asText()).isEqualTo("处理很快，谢谢 👍");
        widget.awaitCard("rate", "sent");
        assertThat(widget.text("rate-status")).isEqualTo("感谢您的评价！ ★★★★☆");
        browser.screenshot(SCREENSHOTS.resolve("rate-thanks.png"));

        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        JsonNode rows = relay.api("/api/stats?from=" + today.minusDays(1) + "&to=" + today.plusDays(1) + "&tz=UTC").get("rows");
        List<JsonNode> ratedRows = new ArrayList<>();
        rows.forEach(r -> {
            if (r.path("ratings").asInt() > 0) {
                ratedRows.add(r);
            }
        });
        assertThat(ratedRows).as("stats rows %s", rows).hasSize(1);
        assertThat(ratedRows.get(0).get("ratings").asInt()).isEqualTo(1);
        assertThat(ratedRows.get(0).get("ratingAvg").asDouble()).isEqualTo(4.0);
        assertThat(ratedRows.get(0).get("agentName").asText()).isEqualTo(TestRelay.AGENT_NAME);

        // Reload: the widget remembers the rating ...
        browser.driver().navigate().refresh();
        widget.awaitConnected().openPanel().awaitMessages(2, "history back", Bubble::acked);
        assertThat(widget.cardState("rate")).isEmpty();
        // ... and without its memory of it, the relay's welcome tells it the chat was rated.
        widget.js("localStorage.removeItem('kefu:shop:convs');");
        browser.driver().navigate().refresh();
        widget.awaitConnected().openPanel().awaitMessages(2, "history paged back from the relay", Bubble::acked);
        assertThat(widget.cardState("rate")).isEmpty();
    }
}

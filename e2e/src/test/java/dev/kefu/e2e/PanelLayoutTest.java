package dev.kefu.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.e2e.harness.ShopPage;
import dev.kefu.e2e.harness.TestRelay;
import dev.kefu.e2e.harness.WidgetPage;
import dev.kefu.e2e.harness.WidgetPage.Bubble;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The open panel over the relay's demo shop, on a desktop and on a phone-sized viewport. Saves
 * screenshots under target/screenshots/ for a human to look at, and checks the geometry a broken
 * layout would get wrong.
 */
class PanelLayoutTest extends BrowserTest {
    static final Path SCREENSHOTS = Path.of(System.getProperty("basedir", "."), "target", "screenshots");

    TestRelay relay;
    WsClient agent;

    @BeforeEach
    void startRelay() throws Exception {
        relay = closeAfter(TestRelay.start(data));
        agent = closeAfter(relay.agent());
    }

    record Box(double x, double y, double w, double h, boolean shown) {
        double right() {
            return x + w;
        }

        double bottom() {
            return y + h;
        }

        boolean inside(Box outer) {
            return x >= outer.x - 0.5 && y >= outer.y - 0.5 && right() <= outer.right() + 0.5 && bottom() <= outer.bottom() + 0.5;
        }

        boolean overlaps(Box other) {
            return x < other.right() && other.x < right() && y < other.bottom() && other.y < bottom();
        }
    }

    @Test
    void desktop_openPanel_fitsBesideTheLauncher() throws Exception {
        browser.emulateViewport(1280, 800, 1, false);
        WidgetPage widget = openDemoWithConversation();

        browser.screenshot(SCREENSHOTS.resolve("panel-desktop-1280x800.png"));

        Map<String, Box> boxes = boxes(widget);
        Box viewport = boxes.get("viewport");
        assertThat(boxes.get("panel").inside(viewport)).as("panel inside the viewport: %s", boxes).isTrue();
        assertThat(boxes.get("panel").overlaps(boxes.get("launcher"))).as("panel clear of the launcher: %s", boxes).isFalse();
        assertInputRowInsidePanel(boxes);
    }

    @Test
    void phone_openPanel_fillsTheScreen() throws Exception {
        browser.emulateViewport(390, 844, 2, true);
        WidgetPage widget = openDemoWithConversation();

        browser.screenshot(SCREENSHOTS.resolve("panel-phone-390x844.png"));

        Map<String, Box> boxes = boxes(widget);
        Box panel = boxes.get("panel");
        assertThat(panel.x()).isZero();
        assertThat(panel.y()).isZero();
        assertThat(panel.w()).isEqualTo(390);
        assertThat(panel.h()).isEqualTo(844);
        assertThat(boxes.get("launcher").shown()).as("launcher hidden under the full-screen panel").isFalse();
        assertInputRowInsidePanel(boxes);
    }

    @Test
    void dataColor_paintsLauncherAndHeader() throws Exception {
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl()).with("color", "#e4572e")))
                .awaitConnected().openPanel();

        assertThat(widget.js("""
                var root = document.getElementById('kefu-widget').shadowRoot;
                return getComputedStyle(root.querySelector('[data-kefu="launcher"]')).backgroundColor;
                """)).isEqualTo("rgb(228, 87, 46)");
        browser.screenshot(SCREENSHOTS.resolve("panel-desktop-accent.png"));
    }

    @Test
    void chineseText_onEnglishHostPage_drawnWithSimplifiedChineseFont() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/usr/share/fonts/opentype/noto")), "needs fonts-noto-cjk");
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl())
                .pageLang("en").with("lang", "zh"))).awaitConnected();
        widget.type("这扇门是什么颜色？");
        agent.reply(agent.nextVisitorMessage().get("conv").asText(), "关门直骨");
        widget.awaitMessages(2, "the reply shown", Bubble::acked);

        // 门, 关, 直 and 骨 have different glyphs in Japanese fonts: a Chinese reader sees the difference.
        assertThat(browser.fontsDrawing(
                "document.getElementById('kefu-widget').shadowRoot.querySelectorAll('[data-kefu=\"text\"]')[1]"))
                .containsExactly("Noto Sans CJK SC");
    }

    private WidgetPage openDemoWithConversation() throws InterruptedException {
        WidgetPage widget = browser.open(relay.baseUrl() + "/demo").awaitConnected();
        widget.type("请问青花瓷茶杯有现货吗？想买两个送人 🎁");
        JsonNode asked = agent.nextVisitorMessage();
        String conv = asked.get("conv").asText();
        agent.reply(conv, "有现货的！今天下单明天发货 🚚 详情见 https://shop.example/cup/1");
        agent.reply(conv, "两个以上还可以免费礼盒包装，需要的话下单时备注「礼盒」就好。Gift boxes are free for two or more.");
        widget.awaitMessages(3, "the replies shown", Bubble::acked);
        // The scroll position settles after the last render.
        widget.await("list scrolled to the end", p -> Boolean.TRUE.equals(p.js("""
                var list = document.getElementById('kefu-widget').shadowRoot.querySelector('[data-kefu="list"]');
                return list.scrollHeight - list.scrollTop - list.clientHeight < 2;
                """)));
        return widget;
    }

    private static void assertInputRowInsidePanel(Map<String, Box> boxes) {
        Box panel = boxes.get("panel");
        assertThat(boxes.get("input").inside(panel)).as("input inside the panel: %s", boxes).isTrue();
        assertThat(boxes.get("send").inside(panel)).as("send button inside the panel: %s", boxes).isTrue();
        assertThat(boxes.get("input").overlaps(boxes.get("send"))).as("input clear of the send button").isFalse();
        assertThat(boxes.get("list").bottom()).as("list above the input").isLessThanOrEqualTo(boxes.get("input").y());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Box> boxes(WidgetPage widget) {
        Map<String, Map<String, Object>> raw = (Map<String, Map<String, Object>>) widget.js("""
                var root = document.getElementById('kefu-widget').shadowRoot;
                function box(e) {
                  var r = e.getBoundingClientRect();
                  return {x: r.left, y: r.top, w: r.width, h: r.height, shown: getComputedStyle(e).display !== 'none'};
                }
                var out = {viewport: {x: 0, y: 0, w: innerWidth, h: innerHeight, shown: true}};
                ['panel', 'launcher', 'list', 'input', 'send'].forEach(function (hook) {
                  out[hook] = box(root.querySelector('[data-kefu="' + hook + '"]'));
                });
                return out;
                """);
        Map<String, Box> boxes = new java.util.TreeMap<>();
        raw.forEach((name, b) -> boxes.put(name, new Box(number(b.get("x")), number(b.get("y")), number(b.get("w")),
                number(b.get("h")), Boolean.TRUE.equals(b.get("shown")))));
        return boxes;
    }

    private static double number(Object o) {
        return ((Number) o).doubleValue();
    }
}

package dev.kefu.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.e2e.harness.ShopPage;
import dev.kefu.e2e.harness.TestImages;
import dev.kefu.e2e.harness.TestRelay;
import dev.kefu.e2e.harness.WidgetPage;
import dev.kefu.e2e.harness.WidgetPage.Picture;
import dev.kefu.relay.testing.FakeAliyun;
import dev.kefu.relay.testing.WsClient;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Files mode {@code oss}: the relay points at a local STS + OSS stand-in ({@link FakeAliyun}, which
 * checks signatures, tokens and policy conditions as the real services do, and has the bucket CORS
 * rule of docs/oss.md). The browser posts the file straight to the bucket; the relay never sees the
 * bytes. The page runs under the strict CSP of the widget's README, with the bucket's origin added
 * to connect-src and img-src as the README says.
 */
class OssUploadTest extends BrowserTest {
    @TempDir
    Path desktop;
    @TempDir
    Path ossTmp;
    FakeAliyun oss;
    TestRelay relay;
    WsClient agent;

    @BeforeEach
    void start() throws Exception {
        oss = closeAfter(FakeAliyun.start(ossTmp));
        relay = closeAfter(TestRelay.start(data, c -> c.withFiles(oss.relayConfig(5L * 1024 * 1024))));
        agent = closeAfter(relay.agent());
    }

    @Test
    void browserPostsStraightToOss_agentReceivesTheImage_andDownloadsIt() throws Exception {
        byte[] photo = TestImages.photo(480, 360, 3);
        Path file = Files.write(desktop.resolve("把手断了.png"), photo);
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl()).strictCsp(oss.endpoint())))
                .awaitConnected();
        widget.type("杯子把手断了，照片如下：");
        agent.nextVisitorMessage();

        widget.attach(file);
        JsonNode msg = agent.nextVisitorMessage();

        assertThat(msg.get("kind").asText()).isEqualTo("image");
        String key = msg.get("file").get("key").asText();
        assertThat(key).startsWith("kefu/v/shop/" + widget.visitorId() + "/").endsWith("/把手断了.png");
        assertThat(oss.object(key).bytes()).as("the object in the bucket").isEqualTo(photo);
        assertThat(oss.object(key).mime()).isEqualTo("image/png");
        assertThat(Files.exists(data.resolve("files"))).as("nothing stored by the relay").isFalse();
        assertThat(oss.preflights()).as("the browser asked the bucket's CORS rule first").isPositive();
        assertThat(relay.agentFiles().download(key)).isEqualTo(photo);
        widget.await("the image shown from the bucket", p -> p.pictures().stream().anyMatch(Picture::loaded));
        assertThat(widget.js("return window.cspViolations")).asInstanceOf(InstanceOfAssertFactories.LIST).isEmpty();
        browser.screenshot(PanelLayoutTest.SCREENSHOTS.resolve("panel-image-oss.png"));
    }
}

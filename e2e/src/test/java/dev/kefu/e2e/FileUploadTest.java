package dev.kefu.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.e2e.harness.ShopPage;
import dev.kefu.e2e.harness.TestImages;
import dev.kefu.e2e.harness.TestRelay;
import dev.kefu.e2e.harness.WidgetPage;
import dev.kefu.e2e.harness.WidgetPage.Bubble;
import dev.kefu.e2e.harness.WidgetPage.Picture;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.MessageKind;
import dev.kefu.relay.files.FilesConfig;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Images and files through the widget in Chromium, with the relay's own store (files mode
 * {@code local}, the default): the browser posts the PostObject form from /api/files/policy to the
 * relay, then sends the message; the agent side is the protocol client plus the REST calls the
 * agent app makes.
 */
class FileUploadTest extends BrowserTest {
    static final long MAX_BYTES = 2L * 1024 * 1024;

    @TempDir
    Path desktop; // the visitor's own files
    TestRelay relay;
    WsClient agent;

    @BeforeEach
    void startRelay() throws Exception {
        relay = closeAfter(TestRelay.start(data, c -> c.withFiles(new FilesConfig("local", MAX_BYTES,
                List.of("image/*", "application/pdf"), null, null, null, "kefu", null, null, null, null, null))));
        agent = closeAfter(relay.agent());
    }

    @Test
    void visitorAttachesPng_progressShows_andAgentGetsTheSameBytes() throws Exception {
        byte[] photo = TestImages.photo(640, 480, 1);
        Path file = Files.write(desktop.resolve("破损的杯子.png"), photo);
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl()))).awaitConnected()
                .openPanel().recordProgress();
        browser.throttleUploads(256 * 1024); // a few seconds for the photo

        widget.attach(file);
        JsonNode msg = agent.nextVisitorMessage();

        assertThat(photo.length).as("the photo is big enough for progress to show").isGreaterThan(300_000);
        assertThat(widget.progressShown()).as("progress shown while uploading").anyMatch(p -> p > 0 && p < 99);
        assertThat(msg.get("kind").asText()).isEqualTo("image");
        JsonNode ref = msg.get("file");
        assertThat(ref.get("key").asText()).startsWith("kefu/v/shop/" + widget.visitorId() + "/").endsWith("/破损的杯子.png");
        assertThat(ref.get("name").asText()).isEqualTo("破损的杯子.png");
        assertThat(ref.get("size").asLong()).isEqualTo(photo.length);
        assertThat(ref.get("mime").asText()).isEqualTo("image/png");
        assertThat(relay.agentFiles().download(ref.get("key").asText())).isEqualTo(photo);
        widget.await("the visitor's own image shown", p -> p.pictures().stream().anyMatch(Picture::loaded));
        assertThat(widget.messages()).extracting(Bubble::from, Bubble::state, Bubble::text)
                .containsExactly(tuple("visitor", "sent", "[图片] 破损的杯子.png"));
    }

    @Test
    void agentSendsImage_visitorSeesInlinePreview() throws Exception {
        Path file = Files.write(desktop.resolve("收到的杯子.png"), TestImages.photo(480, 360, 2));
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl()))).awaitConnected();
        widget.type("杯子收到时就是破的 😢 照片如下");
        widget.attach(file);
        String conv = agent.nextVisitorMessage().get("conv").asText();
        agent.nextVisitorMessage();
        byte[] shot = TestImages.screenshot(480, 320);
        String key = relay.agentFiles().uploadLocal("补发订单.png", "image/png", shot);

        agent.reply(conv, "非常抱歉！已为您补发，这是新订单的截图：");
        agent.send(new Frame.Send("agent-image-1", conv, MessageKind.IMAGE, null,
                new Frame.FileRef(key, "补发订单.png", (long) shot.length, "image/png")));

        widget.await("both images shown", p -> p.pictures().size() == 2 && p.pictures().stream().allMatch(Picture::loaded));
        assertThat(widget.pictures()).extracting(Picture::from, Picture::naturalWidth)
                .containsExactly(tuple("visitor", 480L), tuple("agent", 480L));
        widget.await("list scrolled to the end", p -> Boolean.TRUE.equals(p.js("""
                var list = document.getElementById('kefu-widget').shadowRoot.querySelector('[data-kefu="list"]');
                return list.scrollHeight - list.scrollTop - list.clientHeight < 2;
                """)));
        browser.screenshot(PanelLayoutTest.SCREENSHOTS.resolve("panel-image.png"));
    }

    @Test
    void imageAttachedOffline_isUploadedAndSent_onceTheNetworkIsBack() throws Exception {
        Path file = Files.write(desktop.resolve("离线时选的图.png"), TestImages.screenshot(320, 240));
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl()))).awaitConnected().openPanel();
        browser.setOffline(true);
        widget.await("the page offline", p -> Boolean.FALSE.equals(p.js("return navigator.onLine")));

        widget.attach(file);
        widget.awaitMessages(1, "the image waiting", b -> b.state().equals("uploading"));
        assertThat(agent.drain()).as("frames while offline").noneMatch(f -> "msg".equals(f.path("type").asText()));
        browser.setOffline(false);

        JsonNode msg = agent.nextVisitorMessage();
        assertThat(msg.get("kind").asText()).isEqualTo("image");
        assertThat(msg.get("file").get("name").asText()).isEqualTo("离线时选的图.png");
        widget.awaitMessages(1, "the image sent", Bubble::acked);
    }

    @Test
    void imageAttachedOffline_survivesAReload_andIsSentOnce_withTheSameBytes() throws Exception {
        byte[] picture = TestImages.screenshot(320, 240);
        Path file = Files.write(desktop.resolve("刷新前选的图.png"), picture);
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl()))).awaitConnected().openPanel();
        browser.setOffline(true);
        widget.await("the page offline", p -> Boolean.FALSE.equals(p.js("return navigator.onLine")));
        widget.attach(file);
        String cid = widget.awaitMessages(1, "the image waiting", b -> b.state().equals("uploading")).get(0).cid();

        // The reload needs the network for the shop's page itself: the files API stays out of reach
        // until the reloaded page shows the image waiting, so the first page cannot have uploaded it.
        browser.blockRequests("*/api/files/*");
        browser.setOffline(false);
        browser.driver().navigate().refresh();
        widget.awaitConnected();
        widget.awaitMessages(1, "the same image waiting after the reload", b -> b.state().equals("uploading") && b.cid().equals(cid));
        browser.blockRequests();

        JsonNode msg = agent.nextVisitorMessage();
        assertThat(msg.get("kind").asText()).isEqualTo("image");
        assertThat(msg.get("cid").asText()).isEqualTo(cid);
        assertThat(msg.get("file").get("name").asText()).isEqualTo("刷新前选的图.png");
        assertThat(relay.agentFiles().download(msg.get("file").get("key").asText())).isEqualTo(picture);
        widget.awaitMessages(1, "the image sent", Bubble::acked);
        widget.type("收到图片了吗？");
        assertThat(agent.nextVisitorMessage().get("body").asText()).as("the next message the agent gets").isEqualTo("收到图片了吗？");
        assertThat(storedFiles()).as("files the relay stored").hasSize(1);
    }

    @Test
    void imageAttachedOffline_isSent_whenRequestsFailForSecondsAfterTheNetworkIsBack() throws Exception {
        Path file = Files.write(desktop.resolve("回来后才发出去的图.png"), TestImages.screenshot(320, 240));
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl()))).awaitConnected().openPanel();
        browser.setOffline(true);
        widget.await("the page offline", p -> Boolean.FALSE.equals(p.js("return navigator.onLine")));
        widget.attach(file);
        widget.awaitMessages(1, "the image waiting", b -> b.state().equals("uploading"));
        widget.js("""
                window.policyFailures = 0; // counted after the widget's own handler saw the failure
                var open = XMLHttpRequest.prototype.open;
                XMLHttpRequest.prototype.open = function (method, url) {
                  if (String(url).indexOf('/api/files/policy') >= 0) {
                    this.addEventListener('loadend', function () { if (!this.status) window.policyFailures++; });
                  }
                  return open.apply(this, arguments);
                };
                """);

        // Chromium fires 'online' before its requests get through again (the first one fails even on
        // an idle machine; on a busy one, for seconds), while the socket lived through the outage.
        browser.blockRequests("*/api/files/policy*");
        browser.setOffline(false);
        widget.await("three policy requests failed", p -> ((Number) p.js("return window.policyFailures")).intValue() >= 3);
        assertThat(widget.messages()).extracting(Bubble::state).containsExactly("uploading");
        browser.blockRequests();

        JsonNode msg = agent.nextVisitorMessage();
        assertThat(msg.get("file").get("name").asText()).isEqualTo("回来后才发出去的图.png");
        widget.awaitMessages(1, "the image sent", Bubble::acked);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "big.png,  3145728, 文件太大，最大 2 MB",
            "tool.exe, 2048,    不支持此文件类型",
    })
    void oversizeOrForbiddenFile_isRefusedWithAMessage_andNothingIsSent(String name, int size, String says) throws Exception {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        Path file = Files.write(desktop.resolve(name), bytes);
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl()))).awaitConnected();

        widget.attach(file);

        widget.await("the refusal shown", p -> p.hint().contains(says));
        assertThat(widget.hint()).startsWith(name + ": ");
        widget.await("no bubble left", p -> p.messages().isEmpty());
        widget.type("还在吗？");
        JsonNode next = agent.nextVisitorMessage();
        assertThat(next.get("kind").asText()).as("the first message the agent gets").isEqualTo("text");
        assertThat(next.get("body").asText()).isEqualTo("还在吗？");
        assertThat(storedFiles()).as("files the relay stored").isEmpty();
    }

    private List<Path> storedFiles() throws IOException {
        Path root = data.resolve("files");
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> paths = Files.walk(root)) {
            return paths.filter(Files::isRegularFile).toList();
        }
    }
}

package dev.kefu.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.relay.testing.WsClient;
import dev.kefu.e2e.harness.ShopPage;
import dev.kefu.e2e.harness.TcpProxy;
import dev.kefu.e2e.harness.TestRelay;
import dev.kefu.e2e.harness.WidgetPage;
import dev.kefu.protocol.Frame;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Leave-a-message mode: with nobody to answer, the widget offers its contact form; what the visitor
 * leaves reaches the relay's store once, with Chinese and emoji intact, even when it was submitted
 * with the network cut.
 */
class ContactFormTest extends BrowserTest {
    static final Path SCREENSHOTS = PanelLayoutTest.SCREENSHOTS;

    @Test
    void noAgentOnline_contactWithChineseAndEmoji_isStoredWithTheLeftMessage() throws Exception {
        TestRelay relay = closeAfter(TestRelay.start(data));
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl())))
                .awaitConnected().openPanel();
        widget.awaitCard("contact", "form");
        assertThat(widget.text("desk")).contains("客服暂时不在线");
        browser.screenshot(SCREENSHOTS.resolve("contact-form.png"));

        widget.submitContact("李雷 🦊", null, "li.lei@example", "明天上午请回电 📞，谢谢！");
        widget.await("the email refused", p -> p.text("c-error").equals("邮箱格式不正确"));
        assertThat(widget.find("c-email").getAttribute("aria-invalid")).isEqualTo("true");
        browser.screenshot(SCREENSHOTS.resolve("contact-invalid-email.png"));
        widget.submitContact(null, null, "", null);
        widget.await("phone or email asked for", p -> p.text("c-error").contains("请留下电话或邮箱"));
        assertThat(widget.cardState("contact")).isEqualTo("form");

        widget.submitContact(null, "+86 138 0013 8000", "li.lei@example.com", null);
        widget.awaitCard("contact", "sent");
        assertThat(widget.text("contact-status")).isEqualTo("已收到您的联系方式，我们会尽快联系您。");
        browser.screenshot(SCREENSHOTS.resolve("contact-sent.png"));

        JsonNode convs = relay.api("/api/visitors/" + TestRelay.SITE + "/" + widget.visitorId() + "/conversations")
                .get("conversations");
        assertThat(convs).hasSize(1);
        assertThat(convs.get(0).get("status").asText()).isEqualTo("offline");
        JsonNode contact = convs.get(0).get("contact");
        assertThat(contact.get("name").asText()).isEqualTo("李雷 🦊");
        assertThat(contact.get("phone").asText()).isEqualTo("+86 138 0013 8000");
        assertThat(contact.get("email").asText()).isEqualTo("li.lei@example.com");
        assertThat(contact.get("text").asText()).isEqualTo("明天上午请回电 📞，谢谢！");
        WsClient agent = closeAfter(relay.agent());
        assertThat(agent.history(convs.get(0).get("id").asText()))
                .as("the refused tries sent nothing; the message opened the conversation")
                .extracting(m -> m.get("body").asText()).containsExactly("明天上午请回电 📞，谢谢！");
    }

    @Test
    void englishWidget_contactFormInEnglish() throws Exception {
        TestRelay relay = closeAfter(TestRelay.start(data));
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl()).pageLang("en").with("lang", "en")))
                .awaitConnected().openPanel();
        widget.awaitCard("contact", "form");
        widget.submitContact("Li Lei", "12", "", "Call me back");
        widget.await("the phone refused", p -> p.text("c-error").equals("That phone number does not look right"));
        assertThat(widget.find("contact-open").getAttribute("aria-label")).isEqualTo("Leave your contact details");
        browser.screenshot(SCREENSHOTS.resolve("contact-form-en.png"));
    }

    @Test
    void contactSubmittedWhileCut_arrivesOnceAfterTheCut() throws Exception {
        TestRelay relay = closeAfter(TestRelay.start(data));
        TcpProxy proxy = closeAfter(TcpProxy.to(relay.port()));
        WsClient agent = closeAfter(relay.agent());
        agent.send(new Frame.AgentStatus("away")); // connected, so it sees the left message live, but not answering
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(proxy.baseUrl())))
                .awaitConnected().openPanel();
        widget.awaitCard("contact", "form");

        browser.setOffline(true);
        proxy.refuseNew(true);
        proxy.cutAll();
        widget.awaitDisconnected();
        widget.submitContact("王芳", null, "wang.fang@example.cn", "断网时留言 ✈️ 请发邮件给我");
        widget.awaitCard("contact", "pending");
        assertThat(widget.text("contact-status")).isEqualTo("已保存，联网后会自动提交");
        browser.screenshot(SCREENSHOTS.resolve("contact-pending-offline.png"));

        proxy.refuseNew(false);
        browser.setOffline(false);
        widget.awaitConnected().awaitCard("contact", "sent");
        // Anything the widget sent twice would reach the agent before a message typed after it.
        widget.type("之后 after");
        List<JsonNode> frames = agent.framesUntil(
                f -> "msg".equals(f.path("type").asText()) && "之后 after".equals(f.path("body").asText()),
                "the message typed after the contact");

        List<JsonNode> contacts = frames.stream()
                .filter(f -> "conv".equals(f.path("type").asText()) && f.path("conv").has("contact")).toList();
        assertThat(contacts).as("conv frames carrying the contact: %s", frames).hasSize(1);
        JsonNode contact = contacts.get(0).path("conv").path("contact");
        assertThat(contact.path("name").asText()).isEqualTo("王芳");
        assertThat(contact.path("email").asText()).isEqualTo("wang.fang@example.cn");
        assertThat(contact.path("text").asText()).isEqualTo("断网时留言 ✈️ 请发邮件给我");
        assertThat(contact.has("phone")).isFalse();
        String conv = contacts.get(0).path("conv").path("id").asText();
        assertThat(agent.history(conv)).extracting(m -> m.get("body").asText())
                .containsExactly("断网时留言 ✈️ 请发邮件给我", "之后 after");
    }
}

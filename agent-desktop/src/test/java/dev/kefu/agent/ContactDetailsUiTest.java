package dev.kefu.agent;

import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.testing.AgentWindow;
import dev.kefu.agent.testing.Screenshots;
import dev.kefu.agent.testing.TestRelay;
import dev.kefu.agent.testing.UiTest;
import dev.kefu.protocol.ConvStatus;
import dev.kefu.protocol.Frame;
import dev.kefu.relay.testing.WsClient;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.control.Labeled;
import javafx.scene.control.TextField;
import javafx.scene.control.TitledPane;
import javafx.scene.input.Clipboard;
import javafx.scene.layout.VBox;
import javafx.scene.text.Text;
import org.junit.jupiter.api.Test;
import org.testfx.api.FxRobot;
import org.testfx.util.WaitForAsyncUtils;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The contact details a visitor leaves, as an agent meets them in a real window (X display required)
 * against a real relay: a message left with the form while nobody was online shows the details in a
 * card under the chat header and in the visitor panel (empty fields left out, the long text wrapped,
 * an emoji intact, each field copyable), the list names the visitor by the name it gave; a form sent
 * during an open chat appears at once, a newer one replaces it, and after switching to Chinese the
 * labels are Chinese. A long email stays on one line, cut in its middle, whole on hover and by Copy; the
 * list's search finds a conversation by its visitor's email or phone. Screenshots
 * {@code contact-left-message.png}, {@code contact-live.png}, {@code contact-zh.png},
 * {@code contact-long-email.png}, {@code search-contact.png}.
 */
class ContactDetailsUiTest extends UiTest {
    /** Long enough to wrap in the card and the panel; Chinese and a 4-byte emoji (U+1F60A). */
    private static final String TEXT = "您好，我上周买的蓝色外套尺码不对，想换成大一号的。😊 I bought the blue coat last week "
            + "in the wrong size and would like to exchange it for one size larger; I am free after 6 pm on weekdays.";

    private final FxRobot robot = new FxRobot();

    @Test
    void leftMessageWithContact_showsTheDetailsInTheChatAndThePanel_copyable() throws Exception {
        String conv;
        try (WsClient visitor = relay.visitor(TestRelay.newVisitorId(), null)) {
            visitor.next(f -> "service".equals(f.path("type").asText()) && !f.path("online").asBoolean(),
                    "service offline: no agent online");
            conv = visitor.say("外套尺码不对 wrong size").path("conv").asText();
            leaveContact(visitor, conv, "王小明", "xiaoming.wang@example.com", null, TEXT);
        }

        app = AgentWindow.launch(relay, TestRelay.PASSWORD, dataDir);
        waitUntil(() -> app.session() != null && app.session().status().isOnline() && app.mainView() != null);
        waitUntil(() -> app.mainViewModel().list().shown().stream()
                .anyMatch(c -> c.id().equals(conv) && ConvStatus.OFFLINE.equals(c.status()) && c.hasContact()));
        // the relay names a visitor only while it is online: the list names it as it signed the form, and marks it
        waitUntil(() -> root().lookupAll(".conversation-cell .conv-name").stream()
                .anyMatch(n -> "王小明".equals(((Label) n).getText())));
        assertThat(WaitForAsyncUtils.asyncFx(() -> root().lookupAll(".conversation-cell .contact-mark").stream()
                .filter(Node::isVisible).count()).get()).isEqualTo(1);

        WaitForAsyncUtils.asyncFx(() -> app.mainViewModel().open(conv)).get();
        waitUntil(() -> contactShown() && text("#panelContactName").isPresent());
        assertThat(textIn("#chatTitle")).hasValue("王小明");
        assertThat(textIn("#contactCard")).hasValue("Contact details left by the visitor");
        assertThat(textIn("#contactName")).hasValue("王小明");
        assertThat(textIn("#contactEmail")).hasValue("xiaoming.wang@example.com");
        assertThat(textIn("#contactText")).hasValue(TEXT);
        assertThat(textIn("#contactPhone")).as("no phone given: no phone line").isEmpty();
        assertThat(textIn("#panelContactName")).hasValue("王小明");
        assertThat(textIn("#panelContactEmail")).hasValue("xiaoming.wang@example.com");
        assertThat(textIn("#panelContactText")).hasValue(TEXT);
        assertThat(textIn("#panelContactPhone")).isEmpty();
        assertThat(labelsIn("#visitorPanel")).contains("Contact details left", "Name", "Email", "Message");
        // the long text wraps: several lines tall, within the card's width
        assertThat(WaitForAsyncUtils.asyncFx(() -> {
            Label text = (Label) root().lookup("#contactText");
            return text.getHeight() > 1.5 * ((Label) root().lookup("#contactName")).getHeight()
                    && text.getWidth() <= root().lookup("#contactCard").getBoundsInLocal().getWidth();
        }).get()).as("the message wraps").isTrue();
        assertThat(WaitForAsyncUtils.asyncFx(() -> {
            Label text = (Label) root().lookup("#panelContactText");
            return text.getHeight() > 3 * ((Label) root().lookup("#panelContactName")).getHeight();
        }).get()).as("the panel's copy wraps too").isTrue();
        Screenshots.save(app.stage().getScene(), "contact-left-message.png");

        robot.clickOn("#contactCopyText");
        assertThat(WaitForAsyncUtils.asyncFx(() -> Clipboard.getSystemClipboard().getString()).get()).isEqualTo(TEXT);
        robot.clickOn("#panelContactCopyEmail");
        assertThat(WaitForAsyncUtils.asyncFx(() -> Clipboard.getSystemClipboard().getString()).get())
                .isEqualTo("xiaoming.wang@example.com");
        robot.clickOn("#contactCopyAll");
        assertThat(WaitForAsyncUtils.asyncFx(() -> Clipboard.getSystemClipboard().getString()).get())
                .isEqualTo("Name: 王小明\nEmail: xiaoming.wang@example.com\nMessage: " + TEXT);
    }

    @Test
    void contactSentDuringAnOpenChat_appearsLive_aNewerOneReplacesIt_andLabelsFollowTheLanguage() throws Exception {
        app = AgentWindow.launch(relay, TestRelay.PASSWORD, dataDir);
        waitUntil(() -> app.session() != null && app.session().status().isOnline() && app.mainView() != null);
        try (WsClient visitor = relay.visitor(TestRelay.newVisitorId(), "Li Lei 李雷")) {
            String conv = visitor.say("can someone call me?").path("conv").asText();
            waitUntil(() -> app.mainViewModel().list().shown().stream().anyMatch(c -> c.id().equals(conv)));
            WaitForAsyncUtils.asyncFx(() -> app.mainViewModel().open(conv)).get();
            waitUntil(() -> "Li Lei 李雷".equals(text("#chatTitle").orElse("")));
            assertThat(WaitForAsyncUtils.asyncFx(this::contactShown).get()).as("no contact yet: no card").isFalse();

            leaveContact(visitor, conv, "李雷", null, "+86 138 0013 8000", "白天请打这个号码 😊");
            waitUntil(() -> contactShown() && text("#contactPhone").filter("+86 138 0013 8000"::equals).isPresent()
                    && text("#panelContactPhone").filter("+86 138 0013 8000"::equals).isPresent());
            assertThat(textIn("#contactText")).hasValue("白天请打这个号码 😊");
            assertThat(textIn("#contactEmail")).isEmpty();
            assertThat(textIn("#chatTitle")).as("the name the relay gives comes first").hasValue("Li Lei 李雷");
            Screenshots.save(app.stage().getScene(), "contact-live.png");

            leaveContact(visitor, conv, "李雷", "lilei@example.cn", "+86 139 0000 0000", null);
            waitUntil(() -> text("#contactPhone").filter("+86 139 0000 0000"::equals).isPresent()
                    && text("#panelContactPhone").filter("+86 139 0000 0000"::equals).isPresent());
            assertThat(textIn("#contactEmail")).hasValue("lilei@example.cn");
            assertThat(textIn("#contactText")).as("the newer form left no message").isEmpty();

            robot.clickOn("#menu");
            robot.clickOn("Settings...");
            waitUntil(() -> robot.lookup("#settingsLanguage").tryQuery().isPresent());
            robot.clickOn("#settingsLanguage");
            robot.clickOn("中文");
            robot.clickOn("OK");
            waitUntil(() -> text("#navConversations").filter(t -> t.startsWith("会话")).isPresent() && contactShown());
            assertThat(textIn("#contactCard")).hasValue("访客留下的联系方式");
            assertThat(labelsIn("#contactCard")).contains("姓名", "邮箱", "电话", "复制", "全部复制")
                    .doesNotContain("Name", "Email", "Phone", "Copy");
            assertThat(labelsIn("#visitorPanel")).contains("访客留下的联系方式", "姓名", "邮箱", "电话");
            assertThat(textIn("#panelContactEmail")).hasValue("lilei@example.cn");
            Screenshots.save(app.stage().getScene(), "contact-zh.png");
        }
    }

    @Test
    void longEmail_staysOnOneLine_cutShortInItsMiddle_wholeOnHoverAndByCopy() throws Exception {
        String email = "xiaoming.wang.after-sales.customer-service@shanghai-example-international-trading.com.cn";
        String conv;
        try (WsClient visitor = relay.visitor(TestRelay.newVisitorId(), null)) {
            conv = visitor.say("请发邮件给我 please email me").path("conv").asText();
            leaveContact(visitor, conv, "王小明", email, "+86 138 0013 8000", null);
        }
        app = AgentWindow.launch(relay, TestRelay.PASSWORD, dataDir);
        waitUntil(() -> app.session() != null && app.session().status().isOnline() && app.mainView() != null);
        waitUntil(() -> app.mainViewModel().list().shown().stream().anyMatch(c -> c.id().equals(conv) && c.hasContact()));
        WaitForAsyncUtils.asyncFx(() -> app.mainViewModel().open(conv)).get();
        waitUntil(() -> contactShown() && text("#panelContactEmail").isPresent());

        for (String prefix : List.of("#contact", "#panelContact")) {
            assertThat(WaitForAsyncUtils.asyncFx(() -> {
                Label value = (Label) root().lookup(prefix + "Email");
                return value.getHeight() < 1.5 * ((Label) root().lookup(prefix + "Name")).getHeight();
            }).get()).as(prefix + "Email: one line").isTrue();
            String shown = WaitForAsyncUtils.asyncFx(() -> ((Text) root().lookup(prefix + "Email").lookup(".text")).getText()).get();
            assertThat(shown).as(prefix + "Email: cut in its middle, the start and the domain's end kept")
                    .startsWith("xiaoming").contains("…").endsWith(".com.cn").isNotEqualTo(email);
            assertThat(WaitForAsyncUtils.asyncFx(() -> ((Label) root().lookup(prefix + "Email")).getTooltip().getText()).get())
                    .isEqualTo(email);
        }
        assertThat(textIn("#panelContactPhone")).as("short values are whole").hasValue("+86 138 0013 8000");

        // The side panel may be laid out again as the visitor's details arrive: hover the label it
        // shows now (moving within it: a tooltip waits for the mouse to move over its node and then
        // rest there, and the pointer may be over it already), and again if it was replaced.
        for (int attempt = 1; ; attempt++) {
            Label shownNow = WaitForAsyncUtils.asyncFx(() -> (Label) root().lookup("#panelContactEmail")).get();
            robot.moveTo(shownNow).moveBy(3, 0).moveBy(-3, 0);
            try {
                WaitForAsyncUtils.waitFor(5, TimeUnit.SECONDS, () -> WaitForAsyncUtils.asyncFx(
                        () -> shownNow.getTooltip().isShowing()).get());
                break;
            } catch (java.util.concurrent.TimeoutException e) {
                assertThat(attempt).as("the email's tooltip shows on hover").isLessThan(4);
            }
        }
        Screenshots.save(app.stage().getScene(), "contact-long-email.png");
        robot.clickOn("#panelContactCopyEmail");
        assertThat(WaitForAsyncUtils.asyncFx(() -> Clipboard.getSystemClipboard().getString()).get()).isEqualTo(email);
    }

    @Test
    void searchingForAVisitorsEmailOrPhone_findsTheirConversation_andOpensIt() throws Exception {
        String conv;
        try (WsClient visitor = relay.visitor(TestRelay.newVisitorId(), null)) {
            visitor.next(f -> "service".equals(f.path("type").asText()) && !f.path("online").asBoolean(),
                    "service offline: no agent online");
            conv = visitor.say("请回电 please call me back").path("conv").asText();
            leaveContact(visitor, conv, "王小明", "xiaoming.wang@example.com", "+86 138-0013-8000", "白天请打这个号码");
        }
        String other;
        try (WsClient visitor = relay.visitor(TestRelay.newVisitorId(), null)) {
            other = visitor.say("another question").path("conv").asText();
            leaveContact(visitor, other, "李雷", "lilei@example.cn", "139 0000 0000", null);
        }

        app = AgentWindow.launch(relay, TestRelay.PASSWORD, dataDir);
        waitUntil(() -> app.session() != null && app.session().status().isOnline() && app.mainView() != null);
        waitUntil(() -> app.mainViewModel().list().shown().stream().filter(Conversation::hasContact).count() == 2);

        search("XIAOMING.wang@example");
        waitUntil(() -> contactHits().equals(List.of("✉ Email: xiaoming.wang@example.com")));
        robot.clickOn(WaitForAsyncUtils.asyncFx(this::firstContactHit).get());
        waitUntil(() -> conv.equals(app.mainViewModel().list().selectedProperty().get())
                && "王小明".equals(text("#chatTitle").orElse("")));

        search("");
        WaitForAsyncUtils.asyncFx(() -> app.mainViewModel().open(other)).get();
        waitUntil(() -> "李雷".equals(text("#chatTitle").orElse("")));
        search("13800138000"); // as an agent types a number read out on the phone
        waitUntil(() -> contactHits().equals(List.of("✉ Phone: +86 138-0013-8000")));
        robot.clickOn(WaitForAsyncUtils.asyncFx(this::firstContactHit).get());
        waitUntil(() -> conv.equals(app.mainViewModel().list().selectedProperty().get())
                && "王小明".equals(text("#chatTitle").orElse("")));

        search("lilei@");
        waitUntil(() -> contactHits().equals(List.of("✉ Email: lilei@example.cn")));
        WaitForAsyncUtils.waitForFxEvents();
        Screenshots.save(app.stage().getScene(), "search-contact.png");
    }

    /** Types {@code query} into the list's search field (set as a whole: the robot's keyboard may lack '@'). */
    private void search(String query) throws Exception {
        WaitForAsyncUtils.asyncFx(() -> ((TextField) root().lookup("#search")).setText(query)).get();
    }

    /** What the search results show of each contact hit: its second line. FX thread. */
    private List<String> contactHits() {
        return root().lookupAll("#searchResults .hit-contact").stream().filter(ContactDetailsUiTest::onScreen)
                .map(n -> ((Label) ((VBox) n).getChildren().get(1)).getText()).toList();
    }

    /** The first contact hit on screen. FX thread. */
    private Node firstContactHit() {
        return root().lookupAll("#searchResults .hit-contact").stream()
                .filter(ContactDetailsUiTest::onScreen).findFirst().orElseThrow();
    }

    /** {@code n} and every node above it are visible (a list keeps a hidden cell to measure with). */
    private static boolean onScreen(Node n) {
        for (Node up = n; up != null; up = up.getParent()) {
            if (!up.isVisible()) {
                return false;
            }
        }
        return n.getScene() != null;
    }

    /** The visitor sends the form and waits for the relay's answer. */
    private static void leaveContact(WsClient visitor, String conv, String name, String email, String phone, String text)
            throws Exception {
        visitor.send(new Frame.Contact(conv, name, email, phone, text, "k-" + System.nanoTime()));
        visitor.next(f -> "conv".equals(f.path("type").asText()) && f.has("cid"), "the relay's answer to the contact form");
    }

    /** The chat's contact card is on screen. FX thread. */
    private boolean contactShown() {
        Node card = root().lookup("#contactCard");
        return card instanceof TitledPane p && p.isVisible() && p.isManaged() && p.isExpanded();
    }

    /** Here only what is shown counts: the text of the label {@code query} finds, if it is visible. FX thread. */
    @Override
    protected Optional<String> text(String query) {
        Node n = root().lookup(query);
        return n instanceof Labeled l && n.isVisible() ? Optional.ofNullable(l.getText()) : Optional.empty();
    }

    /** The texts of every label and button under {@code query}. */
    private List<String> labelsIn(String query) throws Exception {
        return WaitForAsyncUtils.asyncFx(() -> root().lookup(query).lookupAll("*").stream()
                .filter(n -> n instanceof Labeled).map(n -> ((Labeled) n).getText()).toList()).get();
    }
}

package dev.kefu.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.notify.Alert;
import dev.kefu.agent.testing.Screenshots;
import dev.kefu.agent.testing.AgentWindow;
import dev.kefu.agent.testing.TestRelay;
import dev.kefu.agent.visitors.VisitorsViewModel;
import dev.kefu.relay.testing.WsClient;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.control.Labeled;
import javafx.scene.control.ListView;
import javafx.scene.control.TableView;
import javafx.scene.input.KeyCode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The app in a real window (X display required) against a real relay, driven like an agent would:
 * log in through the form, a visitor writes, the conversation waits with a notification, the agent
 * accepts and replies, the visitor's draft shows while typed, the Visitors screen follows a page
 * change. The steps build on each other, so they run in order on one app.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentAppUiTest {
    private static final long TIMEOUT_S = 15;

    @TempDir
    static Path relayDir;
    @TempDir
    static Path dataDir;

    private final FxRobot robot = new FxRobot();
    private TestRelay relay;
    private KefuAgentApp app;
    private WsClient visitor;
    private String visitorId;
    private int relayPort;
    private WsClient second;
    private WsClient browsing;
    private String conv;
    private boolean relayStopped;

    @BeforeAll
    void startRelayAndApp() throws Exception {
        AgentWindow.prepareDisplay();
        relay = TestRelay.start(relayDir);
        relayPort = relay.port();
        ignoreRelayThreadFailures();
        app = AgentWindow.launch(relay, null, dataDir);
    }

    @AfterAll
    void stopAll() throws Exception {
        for (WsClient v : new WsClient[]{visitor, second, browsing}) {
            if (v != null) {
                v.close();
            }
        }
        AgentWindow.close(app);
        if (relay != null && !relayStopped) {
            relay.close();
        }
    }

    @Test
    @Order(1)
    void login_throughTheForm_showsTheMainWindowOnline() throws Exception {
        waitUntil(() -> robot.lookup("#password").tryQuery().isPresent());
        assertThat(robot.lookup("#username").queryTextInputControl().getText()).isEqualTo("alice");
        robot.clickOn("#password").write(TestRelay.PASSWORD);
        robot.clickOn("#login");

        waitUntil(() -> "Online".equals(textOf("#connectionState")));
        assertThat(app.session().account().username()).isEqualTo("alice");
    }

    @Test
    @Order(2)
    void visitorWrites_conversationWaitsWithANotification() throws Exception {
        visitorId = TestRelay.newVisitorId();
        visitor = relay.visitor(visitorId, "Li Lei 李雷");
        visitor.page("https://shop.example/products/42", "Blue teapot 蓝色茶壶");
        conv = visitor.say("你好, my teapot has not arrived yet").path("conv").asText();

        waitUntil(() -> waitingItems().stream().anyMatch(c -> c.id().equals(conv)));
        assertThat(robot.lookup("#tabWaiting").queryAs(Labeled.class).getText()).isEqualTo("Waiting 1");
        // One conversation needs the agent: waiting, with one unread message, counted once.
        waitUntil(() -> waitingItems().stream().anyMatch(c -> c.id().equals(conv) && c.unread() == 1));
        assertThat(textOf("#navConversations")).isEqualTo("Conversations (1)");
        waitUntil(() -> robot.lookup(".notification-bar .title").queryAll().stream()
                .anyMatch(n -> "New visitor waiting".equals(((Labeled) n).getText())));
        assertThat(app.session().alerts().recent()).extracting(Alert::kind, Alert::visitor)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Alert.Kind.NEW_VISITOR, "Li Lei 李雷"));
    }

    @Test
    @Order(3)
    void accept_thenReply_reachesTheVisitor() throws Exception {
        robot.clickOn(robot.lookup(".conversation-cell .conv-name").match(n -> "Li Lei 李雷".equals(((Label) n).getText()))
                .queryAs(Node.class));
        waitUntil(() -> "Li Lei 李雷".equals(textOf("#chatTitle")));
        robot.clickOn("#accept");
        waitUntil(() -> "With you".equals(textOf("#chatStatus")));
        JsonNode accepted = visitor.next(f -> "conv".equals(f.path("type").asText())
                && "open".equals(f.path("conv").path("status").asText()), "the conv frame saying open");
        assertThat(accepted.path("conv").path("agent").asText()).isEqualTo(app.session().account().agentId());

        robot.clickOn("#input").write("Sorry about that! Let me check.");
        robot.press(KeyCode.SHIFT).press(KeyCode.ENTER).release(KeyCode.ENTER).release(KeyCode.SHIFT);
        robot.write("One moment please.");
        robot.type(KeyCode.ENTER);

        JsonNode reply = visitor.next(f -> "msg".equals(f.path("type").asText())
                && "agent".equals(f.path("from").path("role").asText()), "the agent's reply");
        assertThat(reply.path("body").asText()).isEqualTo("Sorry about that! Let me check.\nOne moment please.");
        assertThat(reply.path("seq").asLong()).isEqualTo(2);
        waitUntil(() -> robot.lookup(".bubble-meta").queryAll().stream()
                .anyMatch(n -> ((Label) n).getText().endsWith("sent")));
        assertThat(robot.lookup("#input").queryTextInputControl().getText()).isEmpty();
    }

    @Test
    @Order(4)
    void visitorDraft_showsUnderTheLastMessageAsTyped() throws Exception {
        visitor.typing(conv, "Can I change");
        waitUntil(() -> textOf("#visitorDraft").endsWith("Can I change") && robot.lookup("#visitorDraft").query().isVisible());
        visitor.typing(conv, "Can I change the colour to 红色?");
        waitUntil(() -> textOf("#visitorDraft").equals("Li Lei 李雷 is typing: Can I change the colour to 红色?"));

        // Someone else arrives meanwhile, so that the screenshot shows a list with a waiting visitor too.
        second = relay.visitor(TestRelay.newVisitorId(), "王芳");
        second.page("https://shop.example/shipping", "配送说明 Shipping", "https://www.google.com/search?q=teapot+shipping");
        second.say("请问包邮吗？");
        waitUntil(() -> "Waiting 1".equals(textOf("#tabWaiting")));
        robot.clickOn("#tabAll");
        waitUntil(() -> waitingItems().size() == 2);
        Screenshots.save(app.stage().getScene(), "main-window.png");
    }

    @Test
    @Order(5)
    void composer_offersQuickRepliesAfterSlash_andAnEmojiGrid() throws Exception {
        robot.clickOn("#input").write("/");
        ListView<String> quick = robot.lookup("#quickReplyList").queryListView();
        waitUntil(() -> quick.isVisible() && quick.getItems().size() == 5);
        robot.write("order");
        waitUntil(() -> quick.getItems().size() == 1);
        robot.type(KeyCode.ENTER);
        waitUntil(() -> "Could you share your order number, please?".equals(
                robot.lookup("#input").queryTextInputControl().getText()));
        assertThat(quick.isVisible()).isFalse();

        robot.clickOn("#emoji");
        waitUntil(() -> robot.lookup("#emojiGrid").tryQuery().isPresent());
        Screenshots.saveScreen(robot, "composer-emoji.png");
        robot.clickOn("😊");
        waitUntil(() -> robot.lookup("#input").queryTextInputControl().getText().endsWith("😊"));
        robot.interact(() -> robot.lookup("#input").queryTextInputControl().clear());
    }

    @Test
    @Order(6)
    void visitorsScreen_followsAPageChange() throws Exception {
        browsing = relay.visitor(TestRelay.newVisitorId(), "Zhang Wei 张伟");
        browsing.page("https://shop.example/", "Home 首页", "");
        robot.clickOn("#navVisitors");
        TableView<VisitorsViewModel.Row> table = robot.lookup("#visitorsTable").queryTableView();
        waitUntil(() -> table.getItems().size() == 3 && cellText(table, "Li Lei 李雷", 1).contains("Blue teapot"));

        visitor.page("https://shop.example/cart", "Cart 购物车");
        waitUntil(() -> cellText(table, "Li Lei 李雷", 1).contains("Cart 购物车")
                && "2".equals(cellText(table, "Li Lei 李雷", 3)));
        assertThat(cellText(table, "Li Lei 李雷", 5)).isEqualTo("Yes");
        assertThat(cellText(table, "Zhang Wei 张伟", 5)).isEqualTo("—");

        Screenshots.save(app.stage().getScene(), "visitors-view.png");
    }

    @Test
    @Order(7)
    void invite_fromTheVisitorsScreen_reachesTheBrowsingVisitor() throws Exception {
        TableView<VisitorsViewModel.Row> table = robot.lookup("#visitorsTable").queryTableView();
        int row = rowOf(table, "Zhang Wei 张伟");
        Node button = robot.lookup(".invite-button").queryAll().stream()
                .filter(n -> ((javafx.scene.control.TableCell<?, ?>) n.getParent()).getIndex() == row)
                .findFirst().orElseThrow();
        robot.clickOn(button);
        waitUntil(() -> robot.lookup("#inviteText").tryQuery().isPresent());
        robot.clickOn("OK");

        JsonNode invited = browsing.next(f -> "msg".equals(f.path("type").asText()), "the invitation");
        assertThat(invited.path("body").asText()).isEqualTo("Hello! Can I help you with anything?");
        assertThat(invited.path("from").path("role").asText()).isEqualTo("agent");
        waitUntil(() -> "Yes".equals(cellText(table, "Zhang Wei 张伟", 5)));
    }

    @Test
    @Order(30)
    void attach_imageAndFile_thumbnailAndLink_visitorDownloadsTheBytes() throws Exception {
        // Runs after the offline steps (the screen capture and the file opener load AWT into this JVM):
        // the relay comes back on the same data and port, the visitor reconnects. It comes back with a
        // recall window of 3 s instead of 2 minutes, which the app learns from its welcome (step 34).
        relay = TestRelay.start(relayDir, relayPort, c -> c.withRecallWindow(3));
        relayStopped = false;
        app.session().reconnectNow();
        waitUntil(() -> app.session().status().isOnline());
        visitor.close();
        visitor = relay.visitor(visitorId, "Li Lei 李雷");
        waitUntil(() -> "Li Lei 李雷".equals(textOf("#chatTitle")));
        Path dir = java.nio.file.Files.createTempDirectory(dataDir, "attach");
        Path png = dir.resolve("teapot-photo.png");
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(480, 320, java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = img.createGraphics();
        g.setPaint(new java.awt.GradientPaint(0, 0, new java.awt.Color(20, 110, 200), 480, 320, new java.awt.Color(250, 190, 60)));
        g.fillRect(0, 0, 480, 320);
        g.setColor(java.awt.Color.WHITE);
        g.fillOval(150, 90, 180, 140);
        g.setFont(g.getFont().deriveFont(36f));
        g.drawString("teapot #42", 140, 290);
        g.dispose();
        javax.imageio.ImageIO.write(img, "png", png.toFile());
        var chat = app.mainViewModel().chat();
        WaitForAsyncUtils.asyncFx(() -> chat.attach(png)).get();

        JsonNode image = visitor.next(f -> "msg".equals(f.path("type").asText()) && "image".equals(f.path("kind").asText()),
                "the image");
        assertThat(relay.visitorDownload(visitorId, image.path("file").path("key").asText()))
                .isEqualTo(java.nio.file.Files.readAllBytes(png));
        waitUntil(() -> robot.lookup(".thumbnail-image").tryQuery().isPresent());
        waitUntil(() -> chat.uploads().values().stream().anyMatch(p -> p == 1.0));

        Path pdf = dir.resolve("invoice.pdf");
        java.nio.file.Files.write(pdf, "%PDF-1.4 invoice".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        WaitForAsyncUtils.asyncFx(() -> chat.attach(pdf)).get();
        visitor.next(f -> "msg".equals(f.path("type").asText()) && "file".equals(f.path("kind").asText()), "the pdf");
        waitUntil(() -> chat.messages().stream().anyMatch(m -> "invoice.pdf".equals(m.fileName())
                && m.state() == dev.kefu.agent.cache.MessageState.SENT));
        waitUntil(() -> robot.lookup(".file-link").match(n -> n.getScene() != null && !n.isDisabled()).tryQuery().isPresent());
        robot.clickOn(robot.lookup(".file-link").match(n -> n.getScene() != null && !n.isDisabled()).queryAs(Node.class));
        waitUntil(() -> chat.openedUrlProperty().get() != null);
        assertThat(chat.openedUrlProperty().get()).startsWith(relay.address().toString().replaceAll("/$", ""));
        Screenshots.save(app.stage().getScene(), "chat-image.png");
    }

    @Test
    @Order(31)
    void screenshot_captureCropSend_reachesTheVisitorAsAnImage() throws Exception {
        var chat = app.mainViewModel().chat();
        java.awt.image.BufferedImage screen = dev.kefu.agent.ui.ScreenCapture.captureScreen();
        assertThat(screen.getWidth()).isEqualTo(1280);
        WaitForAsyncUtils.asyncFx(() -> chat.sendScreenshot(screen, 100, 80, 400, 300)).get();
        JsonNode shot = visitor.next(f -> "msg".equals(f.path("type").asText()) && "image".equals(f.path("kind").asText()),
                "the screenshot");
        assertThat(shot.path("file").path("name").asText()).startsWith("screenshot-").endsWith(".png");
        java.awt.image.BufferedImage got = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(
                relay.visitorDownload(visitorId, shot.path("file").path("key").asText())));
        assertThat(got.getWidth()).isEqualTo(400);
        assertThat(got.getHeight()).isEqualTo(300);
        assertThat(got.getRGB(10, 10)).isEqualTo(screen.getRGB(110, 90));
    }

    @Test
    @Order(32)
    void screenshotButton_selectRegion_previewThenSend() throws Exception {
        robot.clickOn("#screenshot");
        waitUntil(() -> robot.lookup("#screenshotOverlay").tryQuery().isPresent());
        robot.drag(new javafx.geometry.Point2D(300, 200), javafx.scene.input.MouseButton.PRIMARY)
                .dropTo(new javafx.geometry.Point2D(620, 440));
        waitUntil(() -> robot.lookup("#screenshotPreview").tryQuery().isPresent());
        robot.clickOn("OK");
        JsonNode shot = visitor.next(f -> "msg".equals(f.path("type").asText()) && "image".equals(f.path("kind").asText()),
                "the screenshot from the overlay");
        java.awt.image.BufferedImage got = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(
                relay.visitorDownload(visitorId, shot.path("file").path("key").asText())));
        assertThat(got.getWidth()).isBetween(316, 324);
        assertThat(got.getHeight()).isBetween(236, 244);
    }

    @Test
    @Order(33)
    void paste_anImage_inTheComposer_sendsItAsPng() throws Exception {
        WaitForAsyncUtils.asyncFx(() -> {
            javafx.scene.image.WritableImage img = new javafx.scene.image.WritableImage(64, 48);
            for (int y = 0; y < 48; y++) {
                for (int x = 0; x < 64; x++) {
                    img.getPixelWriter().setArgb(x, y, 0xFF000000 | (x * 4 << 16) | (y * 5 << 8) | 0x80);
                }
            }
            javafx.scene.input.ClipboardContent content = new javafx.scene.input.ClipboardContent();
            content.putImage(img);
            javafx.scene.input.Clipboard.getSystemClipboard().setContent(content);
        }).get();
        robot.clickOn("#input");
        robot.press(KeyCode.CONTROL).press(KeyCode.V).release(KeyCode.V).release(KeyCode.CONTROL);
        JsonNode pasted = visitor.next(f -> "msg".equals(f.path("type").asText()) && "image".equals(f.path("kind").asText()),
                "the pasted image");
        assertThat(pasted.path("file").path("name").asText()).isEqualTo("pasted.png");
        java.awt.image.BufferedImage got = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(
                relay.visitorDownload(visitorId, pasted.path("file").path("key").asText())));
        assertThat(got.getWidth()).isEqualTo(64);
        assertThat(got.getRGB(10, 20) & 0xFFFFFF).isEqualTo((40 << 16) | (100 << 8) | 0x80);
    }

    @Test
    @Order(34)
    void recallMenu_followsTheRecallWindowOfTheRelaysWelcome_notTheDefaultTwoMinutes() throws Exception {
        var service = app.session().conversations();
        assertThat(service.recallWindowMs()).isEqualTo(3_000L);
        var chat = app.mainViewModel().chat();
        robot.clickOn("#input").write("Recall window check");
        robot.type(KeyCode.ENTER);
        visitor.next(f -> "Recall window check".equals(f.path("body").asText()), "the reply");
        waitUntil(() -> chat.messages().stream().anyMatch(m -> "Recall window check".equals(m.body())
                && m.state() == dev.kefu.agent.cache.MessageState.SENT));
        dev.kefu.agent.cache.ChatMessage sent = chat.messages().stream()
                .filter(m -> "Recall window check".equals(m.body()) && m.state() == dev.kefu.agent.cache.MessageState.SENT)
                .findFirst().orElseThrow();

        // Older than the relay's 3 s by the relay's clock, though well within two minutes.
        waitUntil(() -> service.relayNow() - sent.ts() > 3_000L);
        Node bubble = robot.lookup(".bubble-agent").match(n -> ((javafx.scene.Parent) n).getChildrenUnmodifiable().stream()
                .anyMatch(c -> c instanceof Label l && "Recall window check".equals(l.getText()))).query();
        robot.rightClickOn(bubble);
        waitUntil(() -> recallItem().isPresent());
        assertThat(WaitForAsyncUtils.asyncFx(() -> recallItem().orElseThrow().isDisable()).get())
                .as("Recall greyed out once the relay's window passed").isTrue();
        robot.type(KeyCode.ESCAPE);
    }

    /** The "Recall" item of the bubble menu on screen, if one is showing; FX thread. */
    private java.util.Optional<javafx.scene.control.MenuItem> recallItem() {
        return robot.listWindows().stream()
                .filter(w -> w instanceof javafx.scene.control.ContextMenu cm && w.isShowing() && "bubbleMenu".equals(cm.getId()))
                .flatMap(w -> ((javafx.scene.control.ContextMenu) w).getItems().stream())
                .filter(i -> "recallItem".equals(i.getId()))
                .findFirst();
    }

    @Test
    @Order(10)
    void noteToggle_writesAnInternalNote_inItsOwnColour_thatTheVisitorNeverGets() throws Exception {
        robot.clickOn("#navConversations");
        openConversationOf("Li Lei 李雷");
        robot.clickOn("#noteToggle");
        waitUntil(() -> robot.lookup(".composer-note").tryQuery().isPresent() && "Add note".equals(textOf("#send")));
        robot.clickOn("#input").write("VIP customer: offer free shipping");
        robot.type(KeyCode.ENTER);

        waitUntil(() -> robot.lookup(".bubble-note .bubble-text").queryAll().stream()
                .anyMatch(n -> "VIP customer: offer free shipping".equals(((Label) n).getText())));
        waitUntil(() -> app.mainViewModel().chat().messages().stream()
                .anyMatch(m -> m.isNote() && m.nseq() == 1 && m.state() == dev.kefu.agent.cache.MessageState.SENT));
        assertThat(robot.lookup(".bubble-note .note-label").queryAs(Label.class).getText())
                .isEqualTo("Internal note · Alice 小爱");
        Screenshots.save(app.stage().getScene(), "chat-note.png");

        robot.clickOn("#noteToggle");
        waitUntil(() -> "Send".equals(textOf("#send")) && robot.lookup(".composer-note").tryQuery().isEmpty());
        robot.clickOn("#input").write("Free shipping for you!");
        robot.type(KeyCode.ENTER);
        visitor.next(f -> "Free shipping for you!".equals(f.path("body").asText()), "the reply after the note");
        assertThat(visitor.received()).noneMatch(f -> "note".equals(f.path("type").asText())
                || f.toString().contains("VIP customer"));
    }

    @Test
    @Order(11)
    void recall_fromTheBubblesContextMenu_showsRecalled_andTellsTheVisitor() throws Exception {
        var chat = app.mainViewModel().chat();
        waitUntil(() -> chat.messages().stream().anyMatch(m -> "Free shipping for you!".equals(m.body())
                && m.state() == dev.kefu.agent.cache.MessageState.SENT));
        long seq = chat.messages().stream().filter(m -> "Free shipping for you!".equals(m.body())).findFirst()
                .orElseThrow().seq();
        Node bubble = robot.lookup(".bubble-agent").match(n -> ((javafx.scene.Parent) n).getChildrenUnmodifiable().stream()
                .anyMatch(c -> c instanceof Label l && "Free shipping for you!".equals(l.getText()))).query();
        robot.rightClickOn(bubble);
        waitUntil(() -> robot.lookup("Recall").tryQuery().isPresent());
        Screenshots.saveScreen(robot, "chat-recall-menu.png");
        robot.clickOn("Recall");

        JsonNode recalled = visitor.next("recalled");
        assertThat(recalled.path("seq").asLong()).isEqualTo(seq);
        waitUntil(() -> robot.lookup(".recalled-text").queryAll().stream()
                .anyMatch(n -> "You recalled a message".equals(((Label) n).getText())));
        // alice is an admin: the relay keeps the original for her, and so does the app
        waitUntil(() -> robot.lookup(".recalled-original").queryAll().stream()
                .anyMatch(n -> "Original: Free shipping for you!".equals(((Label) n).getText())));

        // A visitor's message offers no Recall, only Copy.
        java.util.List<Node> visitorBubbles = new java.util.ArrayList<>(robot.lookup(".bubble-visitor").queryAll());
        robot.rightClickOn(visitorBubbles.get(visitorBubbles.size() - 1));
        waitUntil(() -> robot.lookup("Copy").tryQuery().isPresent());
        assertThat(robot.lookup("Recall").tryQuery()).isEmpty();
        robot.type(KeyCode.ESCAPE);
        Screenshots.save(app.stage().getScene(), "chat-recalled.png");

        // The relay has the last word: asked to recall someone else's message, its refusal is shown with its reason.
        dev.kefu.agent.cache.ChatMessage visitors = chat.messages().stream().filter(m -> m.fromVisitor()).findFirst()
                .orElseThrow();
        WaitForAsyncUtils.asyncFx(() -> chat.recall(visitors)).get();
        waitUntil(() -> textOf("#chatNotice").equals(
                "Not recalled: only your own messages, within the relay's recall window. (only its sender may recall a message)"));
        Screenshots.save(app.stage().getScene(), "chat-recall-refused.png");
    }

    @Test
    @Order(12)
    void visitorsRating_showsUnderTheConversation_andInTheSidePanel() throws Exception {
        openConversationOf("王芳");
        robot.clickOn("#accept");
        waitUntil(() -> "With you".equals(textOf("#chatStatus")));
        robot.clickOn("#input").write("包邮的，放心。");
        robot.type(KeyCode.ENTER);
        second.next(f -> "包邮的，放心。".equals(f.path("body").asText()), "the reply");
        robot.clickOn("#closeConversation");
        JsonNode closed = second.next(f -> "conv".equals(f.path("type").asText())
                && "closed".equals(f.path("conv").path("status").asText()), "the conversation closed");
        waitUntil(() -> "Closed".equals(textOf("#chatStatus")));

        second.send(new dev.kefu.protocol.Frame.Rate(closed.path("conv").path("id").asText(), 4, "服务很好 great service"));

        waitUntil(() -> robot.lookup("#ratingLine").query().isVisible()
                && textOf("#ratingLine").startsWith("The visitor rated this conversation 4/5")
                && "★★★★☆".equals(textOf("#ratingStars")));
        assertThat(textOf("#ratingLine")).endsWith("“服务很好 great service”");
        waitUntil(() -> "★★★★☆  4/5".equals(textOf("#panelRating")));
        assertThat(textOf("#panelRatingComment")).isEqualTo("“服务很好 great service”");
        Screenshots.save(app.stage().getScene(), "chat-rating.png");

        openConversationOf("Li Lei 李雷"); // the next steps write to Li Lei
    }

    @Test
    @Order(20)
    void relayGone_stateShowsIt_andTheReplyWaitsInTheOutbox() throws Exception {
        relay.close();
        relayStopped = true;
        waitUntil(() -> textOf("#connectionState").startsWith("Reconnecting") || textOf("#connectionState").startsWith("Offline"));

        robot.clickOn("#navConversations");
        robot.clickOn("#input").write("I will be right back.");
        robot.type(KeyCode.ENTER);

        waitUntil(() -> "1 queued".equals(textOf("#outbox")));
        waitUntil(() -> robot.lookup(".bubble-meta").queryAll().stream()
                .anyMatch(n -> ((Label) n).getText().endsWith("sending...")));
    }

    @Test
    @Order(21)
    void settings_switchToChinese_rebuildsTheScreensInChinese() throws Exception {
        robot.clickOn("#menu");
        robot.clickOn("Settings...");
        waitUntil(() -> robot.lookup("#settingsLanguage").tryQuery().isPresent());
        robot.clickOn("#settingsLanguage");
        robot.clickOn("中文");
        robot.clickOn("OK");

        waitUntil(() -> textOf("#navConversations").startsWith("会话"));
        assertThat(textOf("#outbox")).isEqualTo("1 条待发送");
        assertThat(textOf("#chatTitle")).isEqualTo("Li Lei 李雷");
        Screenshots.save(app.stage().getScene(), "main-window-zh-offline.png");
    }

    @Test
    @Order(22)
    void inChinese_notesRecallsAndRatingsSpeakChinese() throws Exception {
        waitUntil(() -> robot.lookup(".note-label").queryAll().stream()
                .anyMatch(n -> "内部备注 · Alice 小爱".equals(((Label) n).getText())));
        waitUntil(() -> robot.lookup(".recalled-text").queryAll().stream()
                .anyMatch(n -> "你撤回了一条消息".equals(((Label) n).getText())));
        assertThat(textOf("#noteToggle")).isEqualTo("备注");
        robot.clickOn("#noteToggle");
        waitUntil(() -> "添加备注".equals(textOf("#send")));
        Screenshots.save(app.stage().getScene(), "chat-note-zh.png");
        robot.clickOn("#noteToggle");
        waitUntil(() -> "发送".equals(textOf("#send")));
    }

    // ---- helpers ----

    private void openConversationOf(String visitorName) throws Exception {
        robot.clickOn("#tabAll");
        waitUntil(() -> robot.lookup(".conversation-cell .conv-name")
                .match(n -> visitorName.equals(((Label) n).getText())).tryQuery().isPresent());
        robot.clickOn(robot.lookup(".conversation-cell .conv-name").match(n -> visitorName.equals(((Label) n).getText()))
                .queryAs(Node.class));
        waitUntil(() -> visitorName.equals(textOf("#chatTitle")));
    }

    private java.util.List<Conversation> waitingItems() {
        ListView<Conversation> list = robot.lookup("#conversations").queryListView();
        return list.getItems();
    }

    private String textOf(String query) {
        return robot.lookup(query).tryQuery().map(n -> ((Labeled) n).getText()).orElse(null);
    }

    private static int rowOf(TableView<VisitorsViewModel.Row> table, String visitorName) {
        for (int i = 0; i < table.getItems().size(); i++) {
            if (visitorName.equals(table.getItems().get(i).visitor().name())) {
                return i;
            }
        }
        return -1;
    }

    /** The text in column {@code col} of {@code visitorName}'s row (the column's cell value); "" when absent. */
    private static String cellText(TableView<VisitorsViewModel.Row> table, String visitorName, int col) {
        int row = rowOf(table, visitorName);
        Object v = row < 0 ? null : table.getColumns().get(col).getCellData(row);
        return v == null ? "" : v.toString();
    }

    /**
     * TestFX turns every uncaught exception, on any thread, into a failure of the next wait. Exceptions
     * thrown on the relay's own threads are the relay's (e.g. its queue assigner rejecting work while it
     * shuts down, reported to the relay's owner): they are printed, not held against the app.
     */
    private static void ignoreRelayThreadFailures() {
        Thread.UncaughtExceptionHandler testFx = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, error) -> {
            boolean relays = java.util.Arrays.stream(error.getStackTrace())
                    .anyMatch(f -> f.getClassName().startsWith("dev.kefu.relay."));
            if (relays) {
                System.err.println("ignored in the app's UI test, thrown by the relay on " + thread.getName() + ": " + error);
            } else if (testFx != null) {
                testFx.uncaughtException(thread, error);
            }
        });
    }

    private static void waitUntil(Callable<Boolean> condition) throws Exception {
        WaitForAsyncUtils.waitFor(TIMEOUT_S, TimeUnit.SECONDS, () -> {
            Callable<Boolean> onFx = condition;
            return WaitForAsyncUtils.asyncFx(onFx).get();
        });
    }
}

package dev.kefu.agent.chat;

import dev.kefu.agent.cache.ChatMessage;
import dev.kefu.agent.cache.ContactDetails;
import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.cache.KnownAgent;
import dev.kefu.agent.ui.ContactCard;
import dev.kefu.agent.ui.I18n;
import dev.kefu.agent.ui.NodeLists;
import dev.kefu.agent.ui.Subscriptions;
import dev.kefu.agent.ui.UiThread;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.scene.control.Button;
import javafx.scene.control.ButtonType;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Dialog;
import javafx.scene.control.Hyperlink;
import javafx.scene.control.Label;
import javafx.scene.control.ListView;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.TextArea;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyEvent;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import org.controlsfx.control.PopOver;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The open conversation: header with the actions, message bubbles (time and state) with older
 * history loaded when scrolled to the top, the visitor's live draft under the last message, and
 * the composer (Enter sends, Shift+Enter breaks the line, {@code /} offers quick replies, an emoji grid).
 */
public final class ChatView {
    /** Emoji the bundled fonts can draw (DejaVu Sans covers these on Linux). */
    static final List<String> EMOJI = List.of(
            "😀", "😁", "😂", "😃", "😄", "😅", "😆", "😉",
            "😊", "😋", "😍", "😎", "😏", "😐", "😒", "😓",
            "😔", "😘", "😜", "😞", "😠", "😢", "😥", "😭",
            "😱", "😲", "😳", "😷", "☺", "♥", "★", "✔",
            "☀", "☕", "✈", "♪", "✌", "☎", "✉", "⚡");
    private static final Pattern AGENT_IN_ANGLES = Pattern.compile(".*<([^<>]+)>\\s*$");
    private static final double BUBBLE_MAX_WIDTH = 460;
    private static final double THUMB_W = 240;
    private static final double THUMB_H = 180;
    /** The contact card's fields scroll beyond this height (px). */
    private static final double CONTACT_MAX_HEIGHT = 170;

    private final ChatViewModel vm;
    private final I18n i18n;
    /** Everything registered on the view model; closed by {@link #dispose()}. */
    private final Subscriptions subs = new Subscriptions();
    private final StackPane root = new StackPane();
    private final VBox messagesBox = new VBox(8);
    private final ScrollPane scroll = new ScrollPane();
    private final TextArea input = new TextArea();
    private final ListView<String> quickList = new ListView<>();
    private PopOver emojiPopOver;
    /** The messages are scrolled to the newest one and should stay so as bubbles grow. */
    private boolean followBottom = true;
    private double knownContentHeight;

    public ChatView(ChatViewModel vm, I18n i18n) {
        this.vm = vm;
        this.i18n = i18n;
        BorderPane chat = new BorderPane();
        chat.setTop(new VBox(header(), contactPane()));
        chat.setCenter(messages());
        chat.setBottom(composer());
        chat.getStyleClass().add("chat");
        subs.bind(chat.visibleProperty(), vm.conversationProperty().isNotNull());

        Label empty = new Label(i18n.t("chat.empty"));
        empty.getStyleClass().add("muted");
        subs.bind(empty.visibleProperty(), vm.conversationProperty().isNull());
        root.getChildren().addAll(empty, chat);
        root.setId("chatView");
        // drag and drop files onto the chat
        root.setOnDragOver(e -> {
            if (e.getDragboard().hasFiles() && vm.conversationProperty().get() != null) {
                e.acceptTransferModes(javafx.scene.input.TransferMode.COPY);
            }
            e.consume();
        });
        root.setOnDragDropped(e -> {
            boolean done = e.getDragboard().hasFiles();
            if (done) {
                e.getDragboard().getFiles().forEach(f -> vm.attach(f.toPath()));
            }
            e.setDropCompleted(done);
            e.consume();
        });
        subs.listen(vm.openedUrlProperty(), (o, was, url) -> openInBrowser(url));
        subs.listen(vm.uploads(), (javafx.collections.MapChangeListener<String, Double>) this::uploadProgressChanged);
    }

    /**
     * Detaches this view from its view model (which outlives it: a language switch builds a new view
     * over the same one). Afterwards its nodes no longer follow the view model. Idempotent.
     */
    public void dispose() {
        subs.close();
        if (emojiPopOver != null) {
            emojiPopOver.hide();
        }
    }

    /** Registrations held on the view model; 0 once disposed. For tests and diagnostics. */
    public int registrations() {
        return subs.size();
    }

    /** Pastes what the clipboard holds: an image is sent as PNG, files are attached; false if neither. */
    boolean paste() {
        javafx.scene.input.Clipboard cb = javafx.scene.input.Clipboard.getSystemClipboard();
        if (cb.hasFiles() && !vm.noteModeProperty().get()) {
            cb.getFiles().forEach(f -> vm.attach(f.toPath()));
            return true;
        }
        if (cb.hasImage() && !cb.hasString() && !vm.noteModeProperty().get()) {
            vm.attachPng(dev.kefu.agent.ui.FxImages.png(cb.getImage()), "pasted.png");
            return true;
        }
        return false;
    }

    private static void openInBrowser(String url) {
        if (url == null) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                if (java.awt.Desktop.isDesktopSupported()
                        && java.awt.Desktop.getDesktop().isSupported(java.awt.Desktop.Action.BROWSE)) {
                    java.awt.Desktop.getDesktop().browse(java.net.URI.create(url));
                }
            } catch (Exception e) {
                // no browser here: the URL stays in the view model for copying
            }
        }, "kefu-open-url");
        t.setDaemon(true);
        t.start();
    }

    public Parent root() {
        return root;
    }

    // ---- header ----

    private Node header() {
        Label title = new Label();
        title.setId("chatTitle");
        title.getStyleClass().add("chat-title");
        subs.bind(title.textProperty(), Bindings.createStringBinding(() -> {
            Conversation c = vm.conversationProperty().get();
            return c == null ? "" : c.visitorLabel();
        }, vm.conversationProperty()));
        Label status = new Label();
        status.setId("chatStatus");
        status.getStyleClass().add("muted");
        subs.bind(status.textProperty(), Bindings.createStringBinding(() -> statusText(vm.conversationProperty().get()),
                vm.conversationProperty()));

        Label notice = new Label();
        notice.setId("chatNotice");
        notice.getStyleClass().add("error-text");
        subs.bind(notice.textProperty(), Bindings.createStringBinding(() -> {
            String code = vm.noticeProperty().get();
            String detail = vm.noticeDetailProperty().get();
            if (code == null || code.isEmpty()) {
                return "";
            }
            return noticeText(code) + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")");
        }, vm.noticeProperty(), vm.noticeDetailProperty()));
        notice.setWrapText(true);
        notice.setMaxWidth(420);

        Button accept = new Button(i18n.t("chat.accept"));
        accept.setId("accept");
        accept.getStyleClass().add("accent");
        accept.setOnAction(e -> vm.accept());
        BooleanBinding waiting = Bindings.createBooleanBinding(() -> {
            Conversation c = vm.conversationProperty().get();
            return c != null && c.isUnassigned();
        }, vm.conversationProperty());
        BooleanBinding live = Bindings.createBooleanBinding(() -> {
            Conversation c = vm.conversationProperty().get();
            return c != null && c.isLive();
        }, vm.conversationProperty());
        subs.bind(accept.visibleProperty(), waiting);
        subs.bind(accept.managedProperty(), waiting);
        subs.bind(accept.disableProperty(), vm.onlineProperty().not());

        Button transfer = new Button(i18n.t("chat.transfer"));
        transfer.setId("transfer");
        transfer.setOnAction(e -> askTransfer());
        subs.bind(transfer.visibleProperty(), live);
        subs.bind(transfer.managedProperty(), live);
        subs.bind(transfer.disableProperty(), vm.onlineProperty().not());

        Button close = new Button(i18n.t("chat.close"));
        close.setId("closeConversation");
        close.setOnAction(e -> vm.close());
        subs.bind(close.visibleProperty(), live);
        subs.bind(close.managedProperty(), live);
        subs.bind(close.disableProperty(), vm.onlineProperty().not());

        Region spacer = new Region();
        HBox.setHgrow(spacer, Priority.ALWAYS);
        VBox titles = new VBox(2, title, status);
        // a long notice wraps; the title and the buttons keep their size
        titles.setMinWidth(Region.USE_PREF_SIZE);
        for (Button b : List.of(accept, transfer, close)) {
            b.setMinWidth(Region.USE_PREF_SIZE);
        }
        notice.setMinWidth(0);
        HBox header = new HBox(10, titles, spacer, notice, accept, transfer, close);
        header.setAlignment(Pos.CENTER_LEFT);
        header.getStyleClass().add("chat-header");
        header.setPadding(new Insets(10, 14, 10, 14));
        return header;
    }

    /**
     * The contact details the visitor left, pinned under the header (they are what an agent calls back
     * from, whatever message is on screen): a distinct card the agent may fold, each field with a Copy
     * button, a long message scrolling within the card. Hidden when the visitor left none; redrawn when a
     * newer one comes.
     */
    private Node contactPane() {
        VBox fields = new VBox();
        ScrollPane fieldsScroll = new ScrollPane(fields);
        fieldsScroll.setFitToWidth(true);
        fieldsScroll.setHbarPolicy(ScrollPane.ScrollBarPolicy.NEVER);
        fieldsScroll.getStyleClass().add("contact-scroll");
        // as tall as the fields, up to a limit: a long message scrolls instead of pushing the chat away
        fieldsScroll.prefViewportHeightProperty().bind(fields.heightProperty());
        fieldsScroll.setMaxHeight(CONTACT_MAX_HEIGHT);
        javafx.scene.control.TitledPane pane = new javafx.scene.control.TitledPane(i18n.t("contact.title"), fieldsScroll);
        pane.setId("contactCard");
        pane.getStyleClass().add("contact-pane");
        pane.setAnimated(false);
        java.util.concurrent.atomic.AtomicReference<ContactDetails> shown = new java.util.concurrent.atomic.AtomicReference<>();
        Button all = ContactCard.copyButton(i18n.t("contact.copyAll"), i18n, () -> shown.get() == null ? ""
                : ContactCard.asText(shown.get(), i18n));
        all.setId("contactCopyAll");
        java.util.function.Consumer<Conversation> show = c -> {
            ContactDetails contact = c == null ? null : c.contact();
            if (java.util.Objects.equals(contact, shown.get())) {
                return;
            }
            shown.set(contact);
            if (contact == null) {
                fields.getChildren().clear();
            } else {
                VBox card = ContactCard.of(contact, i18n, "contact");
                HBox allRow = new HBox(all);
                allRow.setAlignment(Pos.CENTER_RIGHT);
                fields.getChildren().setAll(card, allRow);
                pane.setExpanded(true); // a newer contact is shown even where the agent folded the older one
            }
            pane.setVisible(contact != null);
            pane.setManaged(contact != null);
        };
        pane.setVisible(false);
        pane.setManaged(false);
        subs.listen(vm.conversationProperty(), (o, was, c) -> show.accept(c));
        show.accept(vm.conversationProperty().get());
        return pane;
    }

    private String statusText(Conversation c) {
        if (c == null) {
            return "";
        }
        if (c.isWaiting()) {
            return i18n.t("status.waiting");
        }
        if (c.isOffline()) {
            return i18n.t("status.offline");
        }
        if (!c.isLive()) {
            return i18n.t("status.closed");
        }
        if (vm.isMine(c)) {
            return i18n.t("status.mine");
        }
        return i18n.t("status.openWith", c.agentName() != null ? c.agentName() : String.valueOf(c.agentId()));
    }

    private String noticeText(String code) {
        String text = i18n.t("notice." + code);
        return text.startsWith("!") ? i18n.t("notice.generic", code) : text;
    }

    private void askTransfer() {
        vm.loadAgents();
        Dialog<String> dialog = new Dialog<>();
        dialog.setTitle(i18n.t("transfer.title"));
        dialog.setHeaderText(i18n.t("transfer.header"));
        dialog.initOwner(root.getScene().getWindow());
        ComboBox<String> to = new ComboBox<>();
        to.setId("transferTo");
        to.setEditable(true);
        to.setPrefWidth(320);
        to.setPromptText(i18n.t("transfer.prompt"));
        Runnable fill = () -> to.getItems().setAll(vm.agents().stream().map(ChatView::agentChoice).toList());
        fill.run();
        ListChangeListener<KnownAgent> refill = c -> fill.run();
        vm.agents().addListener(refill);
        Label hint = new Label(i18n.t("transfer.hint"));
        hint.getStyleClass().add("muted");
        hint.setWrapText(true);
        hint.setMaxWidth(320);
        dialog.getDialogPane().setContent(new VBox(8, to, hint));
        dialog.getDialogPane().getButtonTypes().addAll(ButtonType.OK, ButtonType.CANCEL);
        dialog.setResultConverter(b -> b == ButtonType.OK ? agentIdOf(to.getEditor().getText()) : null);
        try {
            dialog.showAndWait().ifPresent(vm::transfer);
        } finally {
            vm.agents().removeListener(refill);
        }
    }

    static String agentChoice(KnownAgent a) {
        return (a.name() == null ? a.id() : a.name()) + " <" + a.id() + ">";
    }

    /** The id out of "Name <id>", or the text itself (an id typed by hand). */
    static String agentIdOf(String text) {
        if (text == null) {
            return null;
        }
        Matcher m = AGENT_IN_ANGLES.matcher(text);
        return m.matches() ? m.group(1).trim() : text.trim();
    }

    // ---- messages ----

    private Node messages() {
        messagesBox.setId("messages");
        messagesBox.setPadding(new Insets(12, 16, 4, 16));
        NodeLists.bind(subs, vm.messages(), messagesBox.getChildren(), this::bubble);

        Hyperlink older = new Hyperlink(i18n.t("chat.older"));
        older.setId("loadOlder");
        older.setOnAction(e -> vm.loadOlder());
        subs.bind(older.visibleProperty(), vm.olderAvailableProperty());
        subs.bind(older.managedProperty(), vm.olderAvailableProperty());
        HBox olderRow = new HBox(older);
        olderRow.setAlignment(Pos.CENTER);

        Label draft = new Label();
        draft.setId("visitorDraft");
        draft.getStyleClass().add("draft");
        draft.setWrapText(true);
        draft.setMaxWidth(BUBBLE_MAX_WIDTH);
        draft.setMinHeight(Region.USE_PREF_SIZE);
        subs.bind(draft.textProperty(), Bindings.createStringBinding(() -> {
            Conversation c = vm.conversationProperty().get();
            String who = c == null ? "" : c.visitorLabel();
            return i18n.t("chat.draft", who, vm.visitorDraftProperty().get());
        }, vm.visitorDraftProperty(), vm.conversationProperty()));
        BooleanBinding drafting = vm.visitorDraftProperty().isNotEmpty();
        HBox draftRow = new HBox(draft);
        draftRow.setPadding(new Insets(0, 16, 10, 16));
        subs.bind(draftRow.visibleProperty(), drafting);
        subs.bind(draftRow.managedProperty(), drafting);

        Label rating = new Label();
        rating.setId("ratingLine");
        rating.getStyleClass().add("rating-line");
        rating.setWrapText(true);
        rating.setMinHeight(Region.USE_PREF_SIZE);
        subs.bind(rating.textProperty(), Bindings.createStringBinding(() -> ratingText(vm.conversationProperty().get()),
                vm.conversationProperty()));
        Label ratingStars = new Label();
        ratingStars.setId("ratingStars");
        ratingStars.getStyleClass().add("rating-stars");
        subs.bind(ratingStars.textProperty(), Bindings.createStringBinding(() -> {
            Conversation c = vm.conversationProperty().get();
            return c == null ? "" : dev.kefu.agent.ui.RatingText.stars(c.rating());
        }, vm.conversationProperty()));
        rating.setGraphic(ratingStars);
        BooleanBinding rated = Bindings.createBooleanBinding(() -> {
            Conversation c = vm.conversationProperty().get();
            return c != null && c.isRated();
        }, vm.conversationProperty());
        HBox ratingRow = new HBox(rating);
        ratingRow.setAlignment(Pos.CENTER);
        ratingRow.setPadding(new Insets(2, 16, 12, 16));
        subs.bind(ratingRow.visibleProperty(), rated);
        subs.bind(ratingRow.managedProperty(), rated);

        VBox content = new VBox(olderRow, messagesBox, draftRow, ratingRow);
        content.getStyleClass().add("messages-content");
        scroll.setContent(content);
        scroll.setFitToWidth(true);
        scroll.setId("messagesScroll");
        scroll.getStyleClass().add("messages-scroll");

        subs.listen(vm.messages(), (ListChangeListener<ChatMessage>) c -> {
            boolean appended = false;
            boolean prepended = false;
            while (c.next()) {
                if (c.wasAdded()) {
                    appended |= c.getTo() == vm.messages().size();
                    prepended |= c.getFrom() == 0 && c.getTo() < vm.messages().size();
                }
            }
            if (prepended && !appended) {
                keepPositionAfterPrepend();
            } else if (appended) {
                followBottom = true;
                scroll.layout();
                scroll.setVvalue(scroll.getVmax());
            }
        });
        // Bubbles grow after they are added (CSS, thumbnails loading): the scroll pane then keeps its
        // pixel offset, so a reader at the bottom would lose the newest messages. Follow the bottom
        // until the reader scrolls away from it (a change of vvalue while the height stays the same).
        subs.listen(content.heightProperty(), (o, was, now) -> {
            knownContentHeight = now.doubleValue();
            if (followBottom) {
                scroll.setVvalue(scroll.getVmax());
            }
        });
        subs.listen(drafting, (o, was, now) -> {
            if (now && scroll.getVvalue() > 0.9) {
                scroll.layout();
                scroll.setVvalue(scroll.getVmax());
            }
        });
        subs.listen(vm.visitorDraftProperty(), (o, was, now) -> {
            if (scroll.getVvalue() > 0.9) {
                scroll.setVvalue(scroll.getVmax());
            }
        });
        subs.listen(scroll.vvalueProperty(), (o, was, v) -> {
            if (content.getHeight() == knownContentHeight) {
                followBottom = v.doubleValue() >= scroll.getVmax() - 0.01;
            }
            boolean scrollable = content.getHeight() > scroll.getViewportBounds().getHeight();
            if (scrollable && v.doubleValue() <= scroll.getVmin() && was.doubleValue() > v.doubleValue()) {
                vm.loadOlder();
            }
        });
        return scroll;
    }

    /** The system line under a rated conversation: stars, score and the visitor's comment. */
    private String ratingText(Conversation c) {
        if (c == null || !c.isRated()) {
            return "";
        }
        String line = i18n.t("rating.line", c.rating());
        return c.ratingComment() == null || c.ratingComment().isBlank() ? line
                : line + "  " + i18n.t("rating.comment", c.ratingComment());
    }

    private void keepPositionAfterPrepend() {
        Node content = scroll.getContent();
        double viewport = scroll.getViewportBounds().getHeight();
        double oldHeight = content.getLayoutBounds().getHeight();
        double oldOffset = scroll.getVvalue() * Math.max(0, oldHeight - viewport);
        scroll.layout();
        double newHeight = content.getLayoutBounds().getHeight();
        double range = Math.max(1, newHeight - viewport);
        scroll.setVvalue(Math.min(1, (oldOffset + newHeight - oldHeight) / range));
    }

    private Node bubble(ChatMessage m) {
        if (m.isNote()) {
            return noteBubble(m);
        }
        boolean agentSide = !m.fromVisitor();
        VBox bubble = new VBox(3);
        bubble.getStyleClass().addAll("bubble", agentSide ? "bubble-agent" : "bubble-visitor");
        if (m.recalled()) {
            bubble.getStyleClass().add("bubble-recalled");
        }
        if (agentSide && m.fromId() != null && !m.fromId().equals(vm.myId())) {
            Label from = new Label(m.fromName() != null ? m.fromName() : m.fromId());
            from.getStyleClass().add("bubble-from");
            bubble.getChildren().add(from);
        }
        Node body;
        if (m.recalled()) {
            body = recalledContent(m);
        } else if (m.hasFile()) {
            body = fileContent(m);
        } else {
            Label text = new Label(m.body() != null && !m.body().isEmpty() ? m.body() : "[" + m.kind() + "]");
            text.setWrapText(true);
            text.setMinHeight(Region.USE_PREF_SIZE);
            text.getStyleClass().add("bubble-text");
            body = text;
        }
        Label meta = new Label(meta(m, agentSide));
        meta.getStyleClass().addAll("bubble-meta", "state-" + m.state().name().toLowerCase(java.util.Locale.ROOT));
        if (m.error() != null) {
            meta.setTooltip(new Tooltip(noticeText(m.error())));
        }
        bubble.getChildren().add(body);
        if (m.state() == dev.kefu.agent.cache.MessageState.PENDING && m.hasFile()) {
            bubble.getChildren().add(uploadProgress(m.cid()));
        }
        bubble.getChildren().add(meta);
        bubble.setMaxWidth(BUBBLE_MAX_WIDTH);
        return row(m, bubble, agentSide ? Pos.CENTER_RIGHT : Pos.CENTER_LEFT, "message-row");
    }

    /** The list row of a message or note bubble: aligned, styled, and with the bubble's context menu. */
    private HBox row(ChatMessage m, VBox bubble, Pos alignment, String... styleClasses) {
        bubble.setOnContextMenuRequested(e -> {
            javafx.scene.control.ContextMenu menu = contextMenu(m);
            if (!menu.getItems().isEmpty()) {
                menu.show(bubble, e.getScreenX(), e.getScreenY());
            }
            e.consume();
        });
        HBox row = new HBox(bubble);
        row.setAlignment(alignment);
        row.getStyleClass().addAll(styleClasses);
        row.setUserData(m);
        return row;
    }

    /** "Message recalled", and for an admin the original under it (the relay keeps it for admins). */
    private Node recalledContent(ChatMessage m) {
        boolean mine = m.fromId() != null && m.fromId().equals(vm.myId());
        Label marker = new Label(mine ? i18n.t("chat.recalledByYou") : i18n.t("chat.recalled"));
        marker.getStyleClass().add("recalled-text");
        marker.setWrapText(true);
        marker.setMinHeight(Region.USE_PREF_SIZE);
        String original = m.body() != null && !m.body().isEmpty() ? m.body() : m.fileName();
        if (original == null) {
            return marker;
        }
        Label was = new Label(i18n.t("chat.recalledOriginal", original));
        was.getStyleClass().add("recalled-original");
        was.setWrapText(true);
        was.setMinHeight(Region.USE_PREF_SIZE);
        return new VBox(2, marker, was);
    }

    /** Copy for text; Recall for own messages, greyed out once the relay's recall window has passed or when offline. */
    private javafx.scene.control.ContextMenu contextMenu(ChatMessage m) {
        javafx.scene.control.ContextMenu menu = new javafx.scene.control.ContextMenu();
        menu.setId("bubbleMenu");
        if (m.body() != null && !m.body().isEmpty() && !m.recalled()) {
            javafx.scene.control.MenuItem copy = new javafx.scene.control.MenuItem(i18n.t("chat.copy"));
            copy.setId("copyItem");
            copy.setOnAction(e -> {
                javafx.scene.input.ClipboardContent content = new javafx.scene.input.ClipboardContent();
                content.putString(m.body());
                javafx.scene.input.Clipboard.getSystemClipboard().setContent(content);
            });
            menu.getItems().add(copy);
        }
        boolean own = !m.isNote() && !m.fromVisitor() && m.fromId() != null && m.fromId().equals(vm.myId());
        if (own && !m.recalled() && m.seq() > 0) {
            javafx.scene.control.MenuItem recall = new javafx.scene.control.MenuItem(i18n.t("chat.recall"));
            recall.setId("recallItem");
            recall.setDisable(!vm.canRecall(m) || !vm.onlineProperty().get());
            recall.setOnAction(e -> vm.recall(m));
            menu.getItems().add(recall);
        }
        return menu;
    }

    /** An internal note: its own colour and label, on the agents' side; never shown to the visitor. */
    private Node noteBubble(ChatMessage m) {
        VBox bubble = new VBox(3);
        bubble.getStyleClass().addAll("bubble", "bubble-note");
        String author = m.fromName() != null ? m.fromName() : String.valueOf(m.fromId());
        Label label = new Label(i18n.t("chat.noteLabel", author));
        label.getStyleClass().add("note-label");
        Label text = new Label(m.body());
        text.setWrapText(true);
        text.setMinHeight(Region.USE_PREF_SIZE);
        text.getStyleClass().add("bubble-text");
        String time = i18n.timeOf(m.ts());
        String state = switch (m.state()) {
            case PENDING -> " · " + i18n.t("state.pending");
            case FAILED -> " · " + i18n.t("state.failed");
            default -> "";
        };
        Label meta = new Label(time + state);
        meta.getStyleClass().addAll("bubble-meta", "state-" + m.state().name().toLowerCase(java.util.Locale.ROOT));
        if (m.error() != null) {
            meta.setTooltip(new Tooltip(noticeText(m.error())));
        }
        bubble.getChildren().addAll(label, text, meta);
        bubble.setMaxWidth(BUBBLE_MAX_WIDTH);
        return row(m, bubble, Pos.CENTER_RIGHT, "message-row", "note-row");
    }

    /** An image as a thumbnail (bytes fetched by signed URL, cached), a file as a link; both open the file. */
    private Node fileContent(ChatMessage m) {
        if (m.isImage()) {
            StackPane frame = new StackPane(new Label("🖼 " + m.fileName()));
            frame.getStyleClass().add("thumbnail");
            frame.setMinSize(120, 60);
            frame.setOnMouseClicked(e -> vm.openFile(m));
            if (m.fileKey() != null) {
                vm.fileBytes(m).thenAccept(bytes -> UiThread.run(() -> {
                    javafx.scene.image.Image img = new javafx.scene.image.Image(new java.io.ByteArrayInputStream(bytes),
                            THUMB_W, THUMB_H, true, true);
                    javafx.scene.image.ImageView view = new javafx.scene.image.ImageView(img);
                    view.getStyleClass().add("thumbnail-image");
                    frame.getChildren().setAll(view); // taller than its placeholder: see followBottom

                }));
            }
            return frame;
        }
        Hyperlink link = new Hyperlink("↓ " + m.fileName() + (m.fileSize() > 0 ? "  (" + size(m.fileSize()) + ")" : ""));
        link.getStyleClass().add("file-link");
        link.setWrapText(true);
        link.setOnAction(e -> vm.openFile(m));
        link.setDisable(m.fileKey() == null);
        return link;
    }

    private Node uploadProgress(String cid) {
        ProgressBar bar = new ProgressBar();
        bar.getStyleClass().add("upload-progress");
        bar.setMaxWidth(Double.MAX_VALUE);
        bar.setUserData(cid);
        Double now = vm.uploads().get(cid);
        bar.setProgress(now == null ? ProgressBar.INDETERMINATE_PROGRESS : now);
        return bar;
    }

    /** Moves the progress bar of the pending file message with that cid, if it is shown (pending ones are last). */
    private void uploadProgressChanged(javafx.collections.MapChangeListener.Change<? extends String, ? extends Double> c) {
        if (!c.wasAdded()) {
            return;
        }
        List<Node> rows = messagesBox.getChildren();
        for (int i = rows.size() - 1; i >= 0; i--) {
            if (rows.get(i).getUserData() instanceof ChatMessage m && c.getKey().equals(m.cid())) {
                for (Node bar : rows.get(i).lookupAll(".upload-progress")) {
                    if (bar instanceof ProgressBar p && c.getKey().equals(p.getUserData())) {
                        p.setProgress(c.getValueAdded() < 0 ? ProgressBar.INDETERMINATE_PROGRESS : c.getValueAdded());
                    }
                }
                return;
            }
        }
    }

    private static String size(long bytes) {
        if (bytes < 1024 * 1024) {
            return String.format(java.util.Locale.ROOT, "%.0f KB", Math.max(1, bytes / 1024.0));
        }
        return String.format(java.util.Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024));
    }

    private String meta(ChatMessage m, boolean agentSide) {
        String time = i18n.timeOf(m.ts());
        if (!agentSide) {
            return time;
        }
        String state = switch (m.state()) {
            case PENDING -> i18n.t("state.pending");
            case SENT -> i18n.t("state.sent");
            case READ -> i18n.t("state.read");
            case FAILED -> i18n.t("state.failed");
        };
        return time + " · " + state;
    }

    // ---- composer ----

    private Node composer() {
        input.setId("input");
        input.setWrapText(true);
        input.setPrefRowCount(3);
        subs.bind(input.promptTextProperty(), Bindings.when(vm.noteModeProperty())
                .then(i18n.t("chat.notePrompt")).otherwise(i18n.t("chat.inputPrompt")));
        subs.bindBidirectional(input.textProperty(), vm.inputProperty());
        input.addEventFilter(KeyEvent.KEY_PRESSED, this::onKey);
        BooleanBinding closed = Bindings.createBooleanBinding(() -> {
            Conversation c = vm.conversationProperty().get();
            return c == null || !c.isLive();
        }, vm.conversationProperty());
        BooleanBinding noConversation = vm.conversationProperty().isNull();
        // notes may still be added to a closed conversation
        subs.bind(input.disableProperty(), closed.and(vm.noteModeProperty().not()));

        quickList.setId("quickReplyList");
        quickList.setPrefHeight(110);
        quickList.setVisible(false);
        quickList.setManaged(false);
        quickList.setOnMouseClicked(e -> pickQuickReply(quickList.getSelectionModel().getSelectedItem()));
        subs.listen(vm.inputProperty(), (o, was, text) -> updateQuickReplies());

        Button emoji = new Button("☺");
        emoji.setId("emoji");
        emoji.setTooltip(new Tooltip(i18n.t("chat.emoji")));
        emoji.setOnAction(e -> showEmoji(emoji));
        subs.bind(emoji.disableProperty(), closed);
        Button quick = new Button("/");
        quick.setId("quickReplies");
        quick.setTooltip(new Tooltip(i18n.t("chat.quick")));
        quick.setOnAction(e -> {
            vm.inputProperty().set("/");
            input.requestFocus();
            input.end();
        });
        subs.bind(quick.disableProperty(), closed);
        Label hint = new Label();
        hint.getStyleClass().add("muted");
        Region spacer = new Region();
        HBox.setHgrow(spacer, Priority.ALWAYS);
        Button send = new Button(i18n.t("chat.send"));
        send.setId("send");
        send.getStyleClass().add("accent");
        send.setOnAction(e -> vm.send());
        subs.bind(send.textProperty(), Bindings.when(vm.noteModeProperty())
                .then(i18n.t("chat.addNote")).otherwise(i18n.t("chat.send")));
        subs.bind(send.disableProperty(), closed.and(vm.noteModeProperty().not()).or(vm.inputProperty().isEmpty()));
        javafx.scene.control.ToggleButton note = new javafx.scene.control.ToggleButton(i18n.t("chat.note"));
        note.setId("noteToggle");
        note.getStyleClass().add("note-toggle");
        note.setTooltip(new Tooltip(i18n.t("chat.noteHint")));
        subs.bindBidirectional(note.selectedProperty(), vm.noteModeProperty());
        subs.bind(note.disableProperty(), noConversation);
        Button attach = new Button("+");
        attach.setId("attach");
        attach.setTooltip(new Tooltip(i18n.t("chat.attach")));
        attach.setOnAction(e -> {
            javafx.stage.FileChooser chooser = new javafx.stage.FileChooser();
            chooser.setTitle(i18n.t("chat.attach"));
            java.util.List<java.io.File> picked = chooser.showOpenMultipleDialog(root.getScene().getWindow());
            if (picked != null) {
                picked.forEach(f -> vm.attach(f.toPath()));
            }
        });
        subs.bind(attach.disableProperty(), closed.or(vm.noteModeProperty()));
        Button shot = new Button("✂");
        shot.setId("screenshot");
        shot.setTooltip(new Tooltip(i18n.t("chat.screenshot")));
        shot.setOnAction(e -> ScreenshotOverlay.start((javafx.stage.Stage) root.getScene().getWindow(), vm, i18n));
        subs.bind(shot.disableProperty(), closed.or(vm.noteModeProperty()));
        subs.bind(hint.textProperty(), Bindings.when(vm.noteModeProperty())
                .then(i18n.t("chat.noteHint")).otherwise(i18n.t("chat.hint")));
        HBox tools = new HBox(6, emoji, quick, attach, shot, note, hint, spacer, send);
        tools.setAlignment(Pos.CENTER_LEFT);

        VBox composer = new VBox(6, quickList, input, tools);
        composer.getStyleClass().add("composer");
        subs.listen(vm.noteModeProperty(), (o, was, on) -> {
            if (on) {
                composer.getStyleClass().add("composer-note");
            } else {
                composer.getStyleClass().remove("composer-note");
            }
        });
        composer.setPadding(new Insets(8, 14, 10, 14));
        return composer;
    }

    private void onKey(KeyEvent e) {
        if (e.isShortcutDown() && e.getCode() == KeyCode.V && paste()) {
            e.consume();
            return;
        }
        if (e.getCode() != KeyCode.ENTER) {
            if (e.getCode() == KeyCode.ESCAPE && quickList.isVisible()) {
                vm.inputProperty().set("");
                e.consume();
            }
            return;
        }
        e.consume();
        if (e.isShiftDown()) {
            input.insertText(input.getCaretPosition(), "\n");
            return;
        }
        if (quickList.isVisible() && !quickList.getItems().isEmpty()) {
            String chosen = quickList.getSelectionModel().getSelectedItem();
            pickQuickReply(chosen != null ? chosen : quickList.getItems().get(0));
            return;
        }
        vm.send();
    }

    private void updateQuickReplies() {
        List<String> matches = vm.quickReplyMatches();
        quickList.getItems().setAll(matches);
        boolean show = !matches.isEmpty();
        quickList.setVisible(show);
        quickList.setManaged(show);
    }

    private void pickQuickReply(String reply) {
        if (reply == null) {
            return;
        }
        vm.inputProperty().set(reply);
        input.requestFocus();
        input.end();
    }

    private void showEmoji(Node anchor) {
        if (emojiPopOver == null) {
            GridPane grid = new GridPane();
            grid.setId("emojiGrid");
            grid.setHgap(2);
            grid.setVgap(2);
            grid.setPadding(new Insets(6));
            for (int i = 0; i < EMOJI.size(); i++) {
                String e = EMOJI.get(i);
                Button b = new Button(e);
                b.getStyleClass().add("emoji-button");
                b.setOnAction(ev -> {
                    input.insertText(input.getCaretPosition(), e);
                    emojiPopOver.hide();
                    input.requestFocus();
                });
                grid.add(b, i % 8, i / 8);
            }
            emojiPopOver = new PopOver(grid);
            emojiPopOver.setArrowLocation(PopOver.ArrowLocation.BOTTOM_LEFT);
            emojiPopOver.setDetachable(false);
        }
        emojiPopOver.show(anchor);
    }
}

package dev.kefu.agent.visitors;

import dev.kefu.agent.cache.CachedVisitor;
import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.cache.PageVisit;
import dev.kefu.agent.ui.ContactCard;
import dev.kefu.agent.ui.I18n;
import dev.kefu.agent.ui.RatingText;
import dev.kefu.agent.ui.Subscriptions;
import javafx.geometry.Insets;
import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.scene.control.Hyperlink;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.VBox;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** The right column: who the visitor is, where it is, where it came from, and its earlier conversations. */
public final class VisitorPanelView {
    private static final int PAGES_SHOWN = 8;

    private final I18n i18n;
    private final VisitorPanelViewModel vm;
    private final Consumer<String> openConversation;
    private final VBox content = new VBox(6);
    private final ScrollPane root = new ScrollPane(content);
    /** Registered on the view model; closed by {@link #dispose()}. */
    private final Subscriptions subs = new Subscriptions();

    /** @param openConversation opens a conversation by id (the earlier ones are links) */
    public VisitorPanelView(VisitorPanelViewModel vm, I18n i18n, Consumer<String> openConversation) {
        this.i18n = i18n;
        this.openConversation = openConversation;
        content.setPadding(new Insets(12));
        content.setId("visitorPanel");
        root.setFitToWidth(true);
        root.getStyleClass().add("visitor-panel");
        root.setMinWidth(220);
        root.setPrefWidth(260);
        this.vm = vm;
        subs.listen(vm.profileProperty(), (o, was, p) -> render(p));
        subs.listen(vm.earlierProperty(), (o, was, e) -> render(vm.profileProperty().get()));
        subs.listen(vm.moreProperty(), (o, was, more) -> render(vm.profileProperty().get()));
        subs.listen(vm.loadingMoreProperty(), (o, was, loading) -> render(vm.profileProperty().get()));
        render(vm.profileProperty().get());
    }

    public Parent root() {
        return root;
    }

    /** Detaches this view from its view model (see {@link dev.kefu.agent.MainView#dispose()}). */
    public void dispose() {
        subs.close();
    }

    /** Registrations held on the view model (and the clock); 0 once disposed. For tests and diagnostics. */
    public int registrations() {
        return subs.size();
    }

    private void render(VisitorProfile p) {
        content.getChildren().clear();
        if (p == null) {
            Label none = new Label(i18n.t("panel.none"));
            none.getStyleClass().add("muted");
            content.getChildren().add(none);
            return;
        }
        CachedVisitor v = p.visitor();
        Label name = new Label(v != null && v.name() != null ? v.name() : nameFromConversations(p));
        name.setId("panelName");
        name.getStyleClass().add("panel-name");
        name.setWrapText(true);
        Label online = new Label(p.online() ? i18n.t("panel.online") : i18n.t("panel.offline"));
        online.getStyleClass().add(p.online() ? "online-text" : "muted");
        online.setId("panelOnline");
        content.getChildren().addAll(name, online);
        Conversation current = p.current();
        if (current != null && current.hasContact()) {
            content.getChildren().add(section(i18n.t("panel.contact")));
            VBox card = ContactCard.of(current.contact(), i18n, "panelContact");
            card.setId("panelContact");
            content.getChildren().add(card);
        }
        if (current != null && current.isRated()) {
            content.getChildren().add(section(i18n.t("panel.rating")));
            Label stars = new Label(RatingText.stars(current.rating()) + "  " + i18n.t("rating.score", current.rating()));
            stars.setId("panelRating");
            stars.getStyleClass().add("rating-stars");
            content.getChildren().add(stars);
            if (current.ratingComment() != null && !current.ratingComment().isBlank()) {
                Label comment = wrap(i18n.t("rating.comment", current.ratingComment()));
                comment.setId("panelRatingComment");
                content.getChildren().add(comment);
            }
        }

        if (v != null && !v.attrs().isEmpty()) {
            content.getChildren().add(section(i18n.t("panel.attrs")));
            GridPane attrs = new GridPane();
            attrs.setHgap(8);
            attrs.setVgap(2);
            int row = 0;
            for (Map.Entry<String, Object> e : v.attrs().entrySet()) {
                Label k = new Label(e.getKey());
                k.getStyleClass().add("muted");
                attrs.addRow(row++, k, wrap(String.valueOf(e.getValue())));
            }
            content.getChildren().add(attrs);
        }
        if (v != null && v.pageUrl() != null) {
            content.getChildren().add(section(i18n.t("panel.page")));
            Label page = wrap(v.pageTitle() == null || v.pageTitle().isBlank() ? v.pageUrl() : v.pageTitle());
            page.setId("panelPage");
            Label url = wrap(v.pageUrl());
            url.getStyleClass().add("muted");
            content.getChildren().addAll(page, url);
        }
        content.getChildren().add(section(i18n.t("panel.referrer")));
        content.getChildren().add(wrap(v == null || v.referrer() == null || v.referrer().isEmpty()
                ? i18n.t("visitors.direct") : v.referrer()));
        if (p.device() != null) {
            content.getChildren().addAll(section(i18n.t("panel.device")), wrap(p.device()));
        }
        if (v != null && v.ip() != null) {
            content.getChildren().addAll(section(i18n.t("panel.ip")), wrap(v.ip()));
        }
        if (!p.pages().isEmpty() || (v != null && v.pages() > 0)) {
            int total = Math.max(p.pages().size(), v == null ? 0 : v.pages());
            content.getChildren().add(section(i18n.t("panel.pages", total)));
            VBox pages = new VBox(2);
            pages.setId("panelPages");
            for (PageVisit visit : p.pages().subList(0, Math.min(PAGES_SHOWN, p.pages().size()))) {
                Label l = wrap(i18n.timeOf(visit.ts()) + "  " + (visit.title() == null || visit.title().isBlank()
                        ? visit.url() : visit.title()));
                pages.getChildren().add(l);
            }
            content.getChildren().add(pages);
        }
        content.getChildren().add(section(i18n.t("panel.conversations")));
        VisitorPanelViewModel.Earlier source = vm.earlierProperty().get();
        if (source != VisitorPanelViewModel.Earlier.RELAY) {
            Label from = wrap(i18n.t(source == VisitorPanelViewModel.Earlier.LOADING ? "panel.earlierLoading"
                    : "panel.earlierCacheOnly"));
            from.setId("panelEarlierSource");
            from.getStyleClass().add("muted");
            content.getChildren().add(from);
        }
        if (p.conversations().isEmpty()) {
            Label none = new Label(i18n.t("panel.noEarlier"));
            none.getStyleClass().add("muted");
            content.getChildren().add(none);
        }
        for (Conversation c : p.conversations()) {
            String preview = Conversation.RECALLED_PREVIEW.equals(c.lastBody()) ? i18n.t("chat.recalled") : c.lastBody();
            // the agent's name: an earlier conversation listed by the relay may be another agent's, and uncached (no preview)
            Hyperlink link = new Hyperlink(i18n.timeOf(c.createdAt()) + " · " + statusOf(c)
                    + (c.agentName() == null || c.agentName().isBlank() ? "" : " · " + c.agentName())
                    + (c.isRated() ? " · " + RatingText.stars(c.rating()) : "")
                    + (preview == null ? "" : " · " + preview));
            link.setWrapText(true);
            link.getStyleClass().add("panel-conversation");
            link.setUserData(c.id());
            link.setOnAction(e -> openConversation.accept(c.id()));
            content.getChildren().add(link);
        }
        if (vm.moreProperty().get()) {
            Hyperlink more = new Hyperlink(i18n.t(vm.loadingMoreProperty().get() ? "panel.earlierMoreLoading"
                    : "panel.earlierMore"));
            more.setId("panelEarlierMore");
            more.setDisable(vm.loadingMoreProperty().get());
            more.setOnAction(e -> vm.loadMore());
            content.getChildren().add(more);
        }
    }

    /**
     * A visitor never seen online by this app (e.g. on a new computer): the name its conversations carry,
     * else the newest name it gave in a contact form, else its id.
     */
    private static String nameFromConversations(VisitorProfile p) {
        List<Conversation> all = java.util.stream.Stream.concat(java.util.stream.Stream.ofNullable(p.current()),
                p.conversations().stream()).toList();
        return all.stream().map(Conversation::visitorName).filter(n -> n != null && !n.isBlank()).findFirst()
                .or(() -> all.stream().filter(Conversation::hasContact).map(c -> c.contact().name())
                        .filter(java.util.Objects::nonNull).findFirst())
                .orElse(p.visitorId());
    }

    private String statusOf(Conversation c) {
        return c.isWaiting() ? i18n.t("status.waiting") : c.isOffline() ? i18n.t("status.offline")
                : c.isLive() ? i18n.t("status.open") : i18n.t("status.closed");
    }

    private static Node section(String title) {
        Label l = new Label(title);
        l.getStyleClass().add("panel-section");
        return l;
    }

    private static Label wrap(String text) {
        Label l = new Label(text);
        l.setWrapText(true);
        l.setMinHeight(javafx.scene.layout.Region.USE_PREF_SIZE);
        return l;
    }
}

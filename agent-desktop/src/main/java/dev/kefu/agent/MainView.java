package dev.kefu.agent;

import dev.kefu.agent.chat.ChatView;
import dev.kefu.agent.chat.ConversationListView;
import dev.kefu.agent.net.ConnectionStatus;
import dev.kefu.agent.ui.I18n;
import dev.kefu.agent.ui.Subscriptions;
import dev.kefu.agent.ui.UiClock;
import dev.kefu.agent.visitors.VisitorPanelView;
import dev.kefu.agent.visitors.VisitorsView;
import javafx.beans.binding.Bindings;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Parent;
import javafx.scene.control.Hyperlink;
import javafx.scene.control.Label;
import javafx.scene.control.MenuButton;
import javafx.scene.control.MenuItem;
import javafx.scene.control.SplitPane;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.ToggleGroup;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.shape.Circle;

import java.time.Instant;

/**
 * The main window: a top bar (screens, connection state, queued messages, menu) over either the
 * conversations screen (list | chat | visitor panel) or the Visitors screen.
 */
public final class MainView {
    private final MainViewModel vm;
    private final I18n i18n;
    private final UiClock clock;
    private final BorderPane root = new BorderPane();
    /** Registered on the view models; closed by {@link #dispose()}, with the screens' own. */
    private final Subscriptions subs = new Subscriptions();
    private final ConversationListView list;
    private final ChatView chat;
    private final VisitorPanelView panel;
    private final VisitorsView visitors;

    public MainView(MainViewModel vm, I18n i18n, UiClock clock, Runnable onSettings, Runnable onLogout) {
        this.vm = vm;
        this.i18n = i18n;
        this.clock = clock;

        list = new ConversationListView(vm.list(), i18n, clock);
        chat = new ChatView(vm.chat(), i18n);
        panel = new VisitorPanelView(vm.panel(), i18n, vm::open);
        SplitPane conversations = new SplitPane(list.root(), chat.root(), panel.root());
        conversations.setDividerPositions(0.24, 0.78);
        SplitPane.setResizableWithParent(list.root(), false);
        SplitPane.setResizableWithParent(panel.root(), false);
        conversations.setId("conversationsScreen");
        visitors = new VisitorsView(vm.visitors(), i18n, clock);

        StackPane screens = new StackPane(conversations, visitors.root());
        subs.bind(conversations.visibleProperty(), vm.screenProperty().isEqualTo(MainViewModel.Screen.CONVERSATIONS));
        subs.bind(visitors.root().visibleProperty(), vm.screenProperty().isEqualTo(MainViewModel.Screen.VISITORS));

        root.setTop(topBar(onSettings, onLogout));
        root.setCenter(screens);
        root.getStyleClass().add("main");
    }

    public Parent root() {
        return root;
    }

    /**
     * Detaches this window's screens from the view models, which live on (a language switch builds a
     * new MainView over the same ones; logging out drops them): call it before the root is replaced.
     * Afterwards none of its nodes follows the view models or the clock. Idempotent.
     */
    public void dispose() {
        subs.close();
        list.dispose();
        chat.dispose();
        panel.dispose();
        visitors.dispose();
    }

    /**
     * Registrations this window and its screens hold on the view models and the clock; 0 once
     * disposed. For tests and diagnostics.
     */
    public int registrations() {
        return subs.size() + list.registrations() + chat.registrations() + panel.registrations()
                + visitors.registrations();
    }

    private HBox topBar(Runnable onSettings, Runnable onLogout) {
        Label brand = new Label(i18n.t("app.title"));
        brand.getStyleClass().add("brand");

        ToggleGroup group = new ToggleGroup();
        ToggleButton conversations = new ToggleButton();
        conversations.setId("navConversations");
        subs.bind(conversations.textProperty(), Bindings.createStringBinding(() -> {
            int n = vm.list().attentionCountProperty().get();
            return n > 0 ? i18n.t("nav.conversationsCount", n) : i18n.t("nav.conversations");
        }, vm.list().attentionCountProperty()));
        ToggleButton visitors = new ToggleButton();
        visitors.setId("navVisitors");
        subs.bind(visitors.textProperty(), Bindings.createStringBinding(
                () -> i18n.t("nav.visitors", vm.visitors().countProperty().get()), vm.visitors().countProperty()));
        conversations.setToggleGroup(group);
        visitors.setToggleGroup(group);
        conversations.setOnAction(e -> vm.screenProperty().set(MainViewModel.Screen.CONVERSATIONS));
        visitors.setOnAction(e -> vm.screenProperty().set(MainViewModel.Screen.VISITORS));
        Runnable reflect = () -> {
            conversations.setSelected(vm.screenProperty().get() == MainViewModel.Screen.CONVERSATIONS);
            visitors.setSelected(vm.screenProperty().get() == MainViewModel.Screen.VISITORS);
        };
        subs.listen(vm.screenProperty(), (o, was, s) -> reflect.run());
        reflect.run();
        conversations.getStyleClass().add("nav");
        visitors.getStyleClass().add("nav");

        Circle dot = new Circle(5);
        dot.getStyleClass().add("connection-dot");
        Label state = new Label();
        state.setId("connectionState");
        subs.bind(state.textProperty(), Bindings.createStringBinding(() -> stateText(vm.connectionProperty().get()),
                vm.connectionProperty(), clock.nowProperty()));
        subs.listen(vm.connectionProperty(), (o, was, s) -> styleState(dot, s));
        styleState(dot, vm.connectionProperty().get());
        Hyperlink retry = new Hyperlink(i18n.t("connection.retryNow"));
        retry.setId("retryNow");
        retry.setOnAction(e -> vm.reconnectNow());
        subs.bind(retry.visibleProperty(), Bindings.createBooleanBinding(() -> {
            ConnectionStatus s = vm.connectionProperty().get();
            return s.nextAttempt() != null && s.state() != dev.kefu.agent.net.ConnectionState.ONLINE;
        }, vm.connectionProperty()));
        subs.bind(retry.managedProperty(), retry.visibleProperty());
        Label queued = new Label();
        queued.setId("outbox");
        queued.getStyleClass().add("queued");
        subs.bind(queued.textProperty(), Bindings.createStringBinding(() -> i18n.t("connection.queued", vm.queuedProperty().get()),
                vm.queuedProperty()));
        subs.bind(queued.visibleProperty(), vm.queuedProperty().greaterThan(0));
        subs.bind(queued.managedProperty(), queued.visibleProperty());
        HBox connection = new HBox(6, dot, state, retry, queued);
        connection.setAlignment(Pos.CENTER_LEFT);

        MenuItem settings = new MenuItem(i18n.t("menu.settings"));
        settings.setId("menuSettings");
        settings.setOnAction(e -> onSettings.run());
        MenuItem logout = new MenuItem(i18n.t("menu.logout"));
        logout.setId("menuLogout");
        logout.setOnAction(e -> onLogout.run());
        MenuButton menu = new MenuButton(vm.agentName(), null, settings, logout);
        menu.setId("menu");

        Region spacer = new Region();
        HBox.setHgrow(spacer, Priority.ALWAYS);
        HBox bar = new HBox(12, brand, conversations, visitors, spacer, connection, menu);
        bar.setAlignment(Pos.CENTER_LEFT);
        bar.setPadding(new Insets(8, 14, 8, 14));
        bar.getStyleClass().add("top-bar");
        return bar;
    }

    private String stateText(ConnectionStatus s) {
        return switch (s.state()) {
            case ONLINE -> i18n.t("connection.online");
            case RECONNECTING -> i18n.t("connection.reconnecting");
            case OFFLINE -> {
                if (s.reason() != null) {
                    yield s.needsLogin() ? i18n.t("connection.badToken") : i18n.t("connection.refused", s.reason());
                }
                if (s.nextAttempt() != null) {
                    long in = Math.max(0, (s.nextAttempt().toEpochMilli() - Instant.now().toEpochMilli() + 999) / 1000);
                    yield i18n.t("connection.offlineRetry", in);
                }
                yield i18n.t("connection.offline");
            }
        };
    }

    private static void styleState(Circle dot, ConnectionStatus s) {
        dot.getStyleClass().removeAll("online", "reconnecting", "offline");
        dot.getStyleClass().add(s.state().name().toLowerCase(java.util.Locale.ROOT));
    }
}

package dev.kefu.agent.chat;

import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.cache.SearchHit;
import dev.kefu.agent.ui.I18n;
import dev.kefu.agent.ui.Subscriptions;
import dev.kefu.agent.ui.UiClock;
import dev.kefu.protocol.Role;
import javafx.beans.binding.Bindings;
import javafx.beans.property.LongProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.beans.value.ChangeListener;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Parent;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.TextField;
import javafx.scene.control.ToggleButton;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import org.controlsfx.control.SegmentedButton;

import java.util.Map;

/** The left column: history search, the waiting / mine / all tabs and the conversation list. */
public final class ConversationListView {
    private final ConversationListViewModel vm;
    private final I18n i18n;
    private final VBox root = new VBox(8);
    /** Registered on the view model and the clock; closed by {@link #dispose()}. */
    private final Subscriptions subs = new Subscriptions();
    /** The clock, followed through {@link #subs}: the cells listen to this view's copy, not to the app's clock. */
    private final LongProperty now = new SimpleLongProperty();
    private boolean itemsChanging;

    public ConversationListView(ConversationListViewModel vm, I18n i18n, UiClock clock) {
        this.vm = vm;
        this.i18n = i18n;
        subs.bind(now, clock.nowProperty());

        TextField search = new TextField();
        search.setId("search");
        search.setPromptText(i18n.t("list.search"));
        subs.bindBidirectional(search.textProperty(), vm.queryProperty());

        ToggleButton waiting = tab("tabWaiting", ConversationListViewModel.Tab.WAITING);
        subs.bind(waiting.textProperty(), Bindings.createStringBinding(
                () -> i18n.t("tab.waiting", vm.waitingCountProperty().get()), vm.waitingCountProperty()));
        ToggleButton mine = tab("tabMine", ConversationListViewModel.Tab.MINE);
        subs.bind(mine.textProperty(), Bindings.createStringBinding(
                () -> i18n.t("tab.mine", vm.mineCountProperty().get()), vm.mineCountProperty()));
        ToggleButton all = tab("tabAll", ConversationListViewModel.Tab.ALL);
        all.setText(i18n.t("tab.all"));
        SegmentedButton tabs = new SegmentedButton(waiting, mine, all);
        tabs.setMaxWidth(Double.MAX_VALUE);
        subs.listen(vm.tabProperty(), (o, was, t) -> selectTab(tabs, t));
        selectTab(tabs, vm.tabProperty().get());

        // When the list changes under it, ListView may move its selection to another row; such moves must
        // not open another conversation. The first listener runs before ListView's own, the second after.
        subs.listen(vm.shown(), (javafx.collections.ListChangeListener<Conversation>) c -> itemsChanging = true);
        ListView<Conversation> list = new ListView<>(vm.shown());
        subs.onClose(() -> list.setItems(javafx.collections.FXCollections.observableArrayList()));
        list.setId("conversations");
        list.setCellFactory(v -> new ConversationCell());
        list.setPlaceholder(new Label(i18n.t("list.empty")));
        subs.listen(list.getSelectionModel().selectedItemProperty(), (o, was, c) -> {
            if (c != null && !itemsChanging) {
                vm.select(c.id());
            }
        });
        subs.listen(vm.selectedProperty(), (o, was, id) -> reflectSelection(list, id));
        subs.listen(vm.shown(), (javafx.collections.ListChangeListener<Conversation>) c -> {
            itemsChanging = false;
            reflectSelection(list, vm.selectedProperty().get());
        });

        ListView<SearchHit> hits = new ListView<>(vm.hits());
        subs.onClose(() -> hits.setItems(javafx.collections.FXCollections.observableArrayList()));
        hits.setId("searchResults");
        hits.setCellFactory(v -> new HitCell());
        hits.setPlaceholder(new Label(i18n.t("list.noHits")));
        subs.listen(hits.getSelectionModel().selectedItemProperty(), (o, was, h) -> {
            if (h != null) {
                vm.select(h.conv());
            }
        });
        subs.bind(hits.visibleProperty(), vm.queryProperty().isNotEmpty());
        subs.bind(list.visibleProperty(), vm.queryProperty().isEmpty());

        StackPane lists = new StackPane(list, hits);
        VBox.setVgrow(lists, Priority.ALWAYS);
        root.getChildren().addAll(search, tabs, lists);
        root.setPadding(new Insets(10));
        root.getStyleClass().add("conversation-list");
        root.setMinWidth(250);
        root.setPrefWidth(300);
    }

    public Parent root() {
        return root;
    }

    /** Detaches this view from its view model and the clock (see {@link dev.kefu.agent.MainView#dispose()}). */
    public void dispose() {
        subs.close();
    }

    /** Registrations held on the view model (and the clock); 0 once disposed. For tests and diagnostics. */
    public int registrations() {
        return subs.size();
    }

    private ToggleButton tab(String id, ConversationListViewModel.Tab tab) {
        ToggleButton b = new ToggleButton();
        b.setId(id);
        b.setUserData(tab);
        b.setOnAction(e -> {
            vm.tabProperty().set(tab);
            b.setSelected(true);
        });
        return b;
    }

    private static void selectTab(SegmentedButton tabs, ConversationListViewModel.Tab t) {
        tabs.getButtons().forEach(b -> b.setSelected(b.getUserData() == t));
    }

    private static void reflectSelection(ListView<Conversation> list, String id) {
        Conversation current = list.getSelectionModel().getSelectedItem();
        if (id == null || (current != null && current.id().equals(id))) {
            return;
        }
        for (int i = 0; i < list.getItems().size(); i++) {
            if (list.getItems().get(i).id().equals(id)) {
                list.getSelectionModel().select(i);
                return;
            }
        }
        list.getSelectionModel().clearSelection(); // not in this tab
    }

    /** Name (with a mark when contact details were left), waiting time, "left message" and its time, or last time; preview, unread badge. */
    private final class ConversationCell extends ListCell<Conversation> {
        private final Label avatar = new Label();
        private final Label name = new Label();
        private final Label time = new Label();
        private final Label preview = new Label();
        private final Label unread = new Label();
        /** Shown when the visitor left contact details (the form): someone to call back. */
        private final Label contact = new Label("✉");
        private final HBox graphic;
        private final ChangeListener<Number> tick = (o, was, now) -> updateTime();

        ConversationCell() {
            avatar.getStyleClass().add("avatar");
            name.getStyleClass().add("conv-name");
            time.getStyleClass().add("conv-time");
            preview.getStyleClass().add("conv-preview");
            unread.getStyleClass().add("unread-badge");
            Region spacer = new Region();
            HBox.setHgrow(spacer, Priority.ALWAYS);
            contact.getStyleClass().add("contact-mark");
            contact.setTooltip(new javafx.scene.control.Tooltip(i18n.t("list.contactLeft")));
            contact.setMinWidth(Region.USE_PREF_SIZE);
            HBox top = new HBox(6, name, contact, spacer, time);
            top.setAlignment(Pos.CENTER_LEFT);
            Region spacer2 = new Region();
            HBox.setHgrow(spacer2, Priority.ALWAYS);
            HBox bottom = new HBox(6, preview, spacer2, unread);
            bottom.setAlignment(Pos.CENTER_LEFT);
            name.setMinWidth(0);
            preview.setMinWidth(0);
            time.setMinWidth(Region.USE_PREF_SIZE);
            unread.setMinWidth(Region.USE_PREF_SIZE);
            VBox text = new VBox(2, top, bottom);
            HBox.setHgrow(text, Priority.ALWAYS);
            graphic = new HBox(8, avatar, text);
            graphic.setAlignment(Pos.CENTER_LEFT);
            now.addListener(tick); // this view's own property: the listener goes with the view
            getStyleClass().add("conversation-cell");
            setPrefWidth(0); // take the list's width, never ask for more (no horizontal scroll bar)
        }

        @Override
        protected void updateItem(Conversation c, boolean empty) {
            super.updateItem(c, empty);
            if (empty || c == null) {
                setGraphic(null);
                setText(null);
                return;
            }
            String label = c.visitorLabel();
            avatar.setText(label.isEmpty() ? "?" : label.substring(0, label.offsetByCodePoints(0, 1)).toUpperCase());
            name.setText(label);
            String last = c.lastBody() == null ? "" : c.lastBody().replace('\n', ' ');
            String prefix = c.lastFromRole() != null && !Role.VISITOR.equals(c.lastFromRole()) ? i18n.t("list.you") : "";
            if (c.lastBody() == null) {
                preview.setText(i18n.t("list.noMessages"));
            } else if (Conversation.RECALLED_PREVIEW.equals(c.lastBody())) {
                preview.setText(i18n.t("chat.recalled"));
            } else {
                preview.setText(prefix + last);
            }
            contact.setVisible(c.hasContact());
            contact.setManaged(c.hasContact());
            unread.setText(String.valueOf(c.unread()));
            unread.setVisible(c.unread() > 0);
            graphic.getStyleClass().removeAll("waiting", "closed");
            if (c.isUnassigned()) {
                graphic.getStyleClass().add("waiting");
            } else if (!c.isLive()) {
                graphic.getStyleClass().add("closed");
            }
            updateTime();
            setGraphic(graphic);
            setText(null);
        }

        private void updateTime() {
            Conversation c = getItem();
            if (c == null) {
                return;
            }
            if (c.isWaiting()) {
                long waited = (now.get() - c.createdAt()) / 1000;
                time.setText(i18n.t("list.waited", I18n.clock(waited)));
                time.getStyleClass().setAll("label", "conv-time", "waiting-time");
            } else if (c.isOffline()) {
                // the visitor is not waiting on the line: when the message was left, not a running clock
                time.setText(i18n.t("list.left", i18n.timeOf(c.activityTs())));
                time.getStyleClass().setAll("label", "conv-time", "waiting-time");
            } else {
                time.setText(c.activityTs() > 0 ? i18n.timeOf(c.activityTs()) : "");
                time.getStyleClass().setAll("label", "conv-time");
            }
        }
    }

    /** The contact card's label of each contact field, which a contact hit names. */
    private static final Map<SearchHit.ContactField, String> CONTACT_KEYS = Map.of(
            SearchHit.ContactField.NAME, "contact.name", SearchHit.ContactField.EMAIL, "contact.email",
            SearchHit.ContactField.PHONE, "contact.phone", SearchHit.ContactField.TEXT, "contact.text");

    /** A search hit: the visitor and time, then the message, or "✉ Email: ..." for the contact details that matched. */
    private final class HitCell extends ListCell<SearchHit> {
        HitCell() {
            setPrefWidth(0);
        }

        @Override
        protected void updateItem(SearchHit h, boolean empty) {
            super.updateItem(h, empty);
            if (empty || h == null) {
                setGraphic(null);
                setText(null);
                return;
            }
            Label who = new Label(h.visitorLabel() + " · " + i18n.timeOf(h.ts()));
            who.getStyleClass().add("muted");
            Label body = new Label(h.isContact() ? "✉ " + i18n.t(CONTACT_KEYS.get(h.contactField())) + ": " + h.body()
                    : h.body());
            body.setMinWidth(0);
            VBox box = new VBox(2, who, body);
            box.getStyleClass().add(h.isContact() ? "hit-contact" : "hit-message");
            setGraphic(box);
            setText(null);
        }
    }
}

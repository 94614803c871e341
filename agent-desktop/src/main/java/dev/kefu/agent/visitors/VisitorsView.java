package dev.kefu.agent.visitors;

import dev.kefu.agent.ui.I18n;
import dev.kefu.agent.ui.Subscriptions;
import dev.kefu.agent.ui.UiClock;
import dev.kefu.protocol.Frame;
import javafx.beans.binding.Bindings;
import javafx.beans.property.LongProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.value.ObservableValue;
import javafx.geometry.Insets;
import javafx.scene.Parent;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.TableCell;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.TextInputDialog;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;

import java.util.function.Function;

/** Everyone browsing now: current page, time on site, pages seen, referrer, chatting or not, and Invite. */
public final class VisitorsView {
    private final VisitorsViewModel vm;
    private final I18n i18n;
    private final VBox root = new VBox(10);
    /** Registered on the view model and the clock; closed by {@link #dispose()}. */
    private final Subscriptions subs = new Subscriptions();
    /** The clock, followed through {@link #subs}; the time-on-site cells follow this copy. */
    private final LongProperty now = new SimpleLongProperty();

    public VisitorsView(VisitorsViewModel vm, I18n i18n, UiClock clock) {
        this.vm = vm;
        this.i18n = i18n;
        subs.bind(now, clock.nowProperty());
        Label title = new Label();
        title.setId("visitorsTitle");
        title.getStyleClass().add("section-title");
        subs.bind(title.textProperty(), Bindings.createStringBinding(() -> i18n.t("visitors.title", vm.countProperty().get()),
                vm.countProperty()));

        TableView<VisitorsViewModel.Row> table = new TableView<>(vm.rows());
        subs.onClose(() -> table.setItems(javafx.collections.FXCollections.observableArrayList()));
        table.setId("visitorsTable");
        table.setPlaceholder(new Label(i18n.t("visitors.empty")));
        table.getColumns().add(column(i18n.t("visitors.name"), 150, r -> text(nameOf(r.visitor()))));
        table.getColumns().add(column(i18n.t("visitors.page"), 300, r -> text(pageOf(r.visitor()))));
        table.getColumns().add(column(i18n.t("visitors.time"), 90, r -> Bindings.createStringBinding(
                () -> I18n.clock((now.get() - r.visitor().since()) / 1000), now)));
        table.getColumns().add(column(i18n.t("visitors.pages"), 60, r -> text(String.valueOf(r.visitor().pages()))));
        table.getColumns().add(column(i18n.t("visitors.referrer"), 200,
                r -> text(r.visitor().referrer() == null || r.visitor().referrer().isEmpty()
                        ? i18n.t("visitors.direct") : r.visitor().referrer())));
        table.getColumns().add(column(i18n.t("visitors.chatting"), 80,
                r -> text(r.chatting() ? i18n.t("visitors.yes") : "—")));
        TableColumn<VisitorsViewModel.Row, VisitorsViewModel.Row> invite = new TableColumn<>(i18n.t("visitors.action"));
        invite.setPrefWidth(90);
        invite.setCellValueFactory(c -> new ReadOnlyObjectWrapper<>(c.getValue()));
        invite.setCellFactory(c -> new InviteCell());
        table.getColumns().add(invite);
        table.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        VBox.setVgrow(table, Priority.ALWAYS);

        root.getChildren().addAll(title, table);
        root.setPadding(new Insets(14));
        root.setId("visitorsView");
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

    private static TableColumn<VisitorsViewModel.Row, String> column(String title, double width,
            Function<VisitorsViewModel.Row, ObservableValue<String>> value) {
        TableColumn<VisitorsViewModel.Row, String> c = new TableColumn<>(title);
        c.setPrefWidth(width);
        c.setCellValueFactory(cell -> value.apply(cell.getValue()));
        return c;
    }

    private static ObservableValue<String> text(String s) {
        return new ReadOnlyStringWrapper(s);
    }

    static String nameOf(Frame.VisitorPresence v) {
        if (v.name() != null && !v.name().isBlank()) {
            return v.name();
        }
        return v.id().length() > 10 ? v.id().substring(0, 10) : v.id();
    }

    static String pageOf(Frame.VisitorPresence v) {
        if (v.page() == null) {
            return "";
        }
        String title = v.page().title();
        return title == null || title.isBlank() ? v.page().url() : title + " — " + v.page().url();
    }

    private void askInvite(VisitorsViewModel.Row row) {
        TextInputDialog dialog = new TextInputDialog(i18n.t("invite.default"));
        dialog.setTitle(i18n.t("invite.title"));
        dialog.setHeaderText(i18n.t("invite.header", nameOf(row.visitor())));
        dialog.initOwner(root.getScene().getWindow());
        dialog.getEditor().setId("inviteText");
        dialog.getEditor().setPrefColumnCount(30);
        dialog.showAndWait().ifPresent(text -> vm.invite(row.id(), text));
    }

    private final class InviteCell extends TableCell<VisitorsViewModel.Row, VisitorsViewModel.Row> {
        private final Button button = new Button(i18n.t("visitors.invite"));

        InviteCell() {
            button.getStyleClass().add("invite-button");
            button.setOnAction(e -> {
                if (getItem() != null) {
                    askInvite(getItem());
                }
            });
        }

        @Override
        protected void updateItem(VisitorsViewModel.Row row, boolean empty) {
            super.updateItem(row, empty);
            if (empty || row == null) {
                setGraphic(null);
                return;
            }
            button.setDisable(row.chatting());
            setGraphic(button);
        }
    }
}

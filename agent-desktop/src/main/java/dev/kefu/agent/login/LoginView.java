package dev.kefu.agent.login;

import dev.kefu.agent.ui.I18n;
import dev.kefu.agent.ui.Subscriptions;
import javafx.beans.binding.Bindings;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Parent;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.Label;
import javafx.scene.control.PasswordField;
import javafx.scene.control.ProgressIndicator;
import javafx.scene.control.TextField;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;

/** The login form: relay address, username, password, remember me. */
public final class LoginView {
    private final StackPane root = new StackPane();
    /** Bindings to the view model, which outlives this view (a language switch rebuilds it); closed by {@link #dispose()}. */
    private final Subscriptions subs = new Subscriptions();

    public LoginView(LoginViewModel vm, I18n i18n) {
        Label title = new Label(i18n.t("app.title"));
        title.getStyleClass().add("login-title");
        Label subtitle = new Label(i18n.t("login.subtitle"));
        subtitle.getStyleClass().add("muted");

        TextField server = new TextField();
        server.setId("server");
        server.setPromptText("http://127.0.0.1:8080");
        subs.bindBidirectional(server.textProperty(), vm.serverProperty());
        TextField username = new TextField();
        username.setId("username");
        subs.bindBidirectional(username.textProperty(), vm.usernameProperty());
        PasswordField password = new PasswordField();
        password.setId("password");
        subs.bindBidirectional(password.textProperty(), vm.passwordProperty());
        CheckBox remember = new CheckBox(i18n.t("login.remember"));
        remember.setId("remember");
        subs.bindBidirectional(remember.selectedProperty(), vm.rememberProperty());

        GridPane form = new GridPane();
        form.setHgap(10);
        form.setVgap(10);
        form.addRow(0, new Label(i18n.t("login.server")), server);
        form.addRow(1, new Label(i18n.t("login.username")), username);
        form.addRow(2, new Label(i18n.t("login.password")), password);
        form.add(remember, 1, 3);
        server.setPrefColumnCount(22);

        Button login = new Button(i18n.t("login.submit"));
        login.setId("login");
        login.setDefaultButton(true);
        subs.bind(login.disableProperty(), vm.busyProperty());
        login.setOnAction(e -> vm.login());
        login.setMaxWidth(Double.MAX_VALUE);
        ProgressIndicator spinner = new ProgressIndicator();
        spinner.setPrefSize(18, 18);
        subs.bind(spinner.visibleProperty(), vm.busyProperty());
        HBox actions = new HBox(10, login, spinner);
        actions.setAlignment(Pos.CENTER_LEFT);
        HBox.setHgrow(login, Priority.ALWAYS);

        Label error = new Label();
        error.setId("loginError");
        error.getStyleClass().add("error-text");
        error.setWrapText(true);
        subs.bind(error.textProperty(), Bindings.createStringBinding(() -> switch (vm.problemProperty().get()) {
            case NONE -> "";
            case MISSING_FIELDS -> i18n.t("login.error.missing");
            case BAD_ADDRESS -> i18n.t("login.error.address");
            case WRONG_CREDENTIALS -> i18n.t("login.error.credentials");
            case UNREACHABLE -> i18n.t("login.error.unreachable");
            case REFUSED -> i18n.t("login.error.refused");
        }, vm.problemProperty()));

        VBox card = new VBox(14, title, subtitle, form, actions, error);
        card.getStyleClass().add("login-card");
        card.setPadding(new Insets(28));
        card.setMaxSize(440, Region.USE_PREF_SIZE);
        root.getChildren().add(card);
        root.getStyleClass().add("login-root");
        if (vm.serverProperty().get().isBlank()) {
            server.requestFocus();
        } else {
            password.requestFocus();
        }
    }

    public Parent root() {
        return root;
    }

    /** Detaches the form from its view model. Idempotent. */
    public void dispose() {
        subs.close();
    }

    /** Registrations held on the view model (and the clock); 0 once disposed. For tests and diagnostics. */
    public int registrations() {
        return subs.size();
    }
}

package dev.kefu.agent.login;

import dev.kefu.agent.net.LoginException;
import dev.kefu.agent.ui.UiThread;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;

import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/** The login form's state and its one command. FX thread only. */
public final class LoginViewModel {
    /** Why the last attempt failed; {@link #NONE} before any attempt and after a success. */
    public enum Problem { NONE, MISSING_FIELDS, BAD_ADDRESS, WRONG_CREDENTIALS, UNREACHABLE, REFUSED }

    private final StringProperty server = new SimpleStringProperty("");
    private final StringProperty username = new SimpleStringProperty("");
    private final StringProperty password = new SimpleStringProperty("");
    private final BooleanProperty remember = new SimpleBooleanProperty(true);
    private final BooleanProperty busy = new SimpleBooleanProperty();
    private final ObjectProperty<Problem> problem = new SimpleObjectProperty<>(Problem.NONE);
    private final LoginService service;
    private final Consumer<AgentAccount> onLoggedIn;

    public LoginViewModel(LoginService service, Consumer<AgentAccount> onLoggedIn) {
        this.service = service;
        this.onLoggedIn = onLoggedIn;
    }

    /** Fills empty fields from the last login (and from {@code --server}/{@code --user}, given here). */
    public void prefill(String serverOption, String userOption) {
        if (serverOption != null) {
            server.set(serverOption);
        }
        if (userOption != null) {
            username.set(userOption);
        }
        service.formDefaults().thenAccept(d -> UiThread.run(() -> {
            if (server.get().isBlank() && d.server() != null) {
                server.set(d.server());
            }
            if (username.get().isBlank() && d.username() != null) {
                username.set(d.username());
            }
            remember.set(d.remember());
        }));
    }

    public void login() {
        if (busy.get()) {
            return;
        }
        if (server.get().isBlank() || username.get().isBlank() || password.get().isEmpty()) {
            problem.set(Problem.MISSING_FIELDS);
            return;
        }
        busy.set(true);
        problem.set(Problem.NONE);
        service.login(server.get(), username.get(), password.get(), remember.get()).whenComplete((account, error) ->
                UiThread.run(() -> {
                    busy.set(false);
                    if (error != null) {
                        problem.set(problemOf(error));
                        return;
                    }
                    password.set("");
                    onLoggedIn.accept(account);
                }));
    }

    private static Problem problemOf(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof IllegalArgumentException) {
            return Problem.BAD_ADDRESS;
        }
        if (cause instanceof LoginException e) {
            return switch (e.failure()) {
                case WRONG_CREDENTIALS -> Problem.WRONG_CREDENTIALS;
                case UNREACHABLE -> Problem.UNREACHABLE;
                case REFUSED -> Problem.REFUSED;
            };
        }
        return Problem.REFUSED;
    }

    public StringProperty serverProperty() {
        return server;
    }

    public StringProperty usernameProperty() {
        return username;
    }

    public StringProperty passwordProperty() {
        return password;
    }

    public BooleanProperty rememberProperty() {
        return remember;
    }

    public ReadOnlyBooleanProperty busyProperty() {
        return busy;
    }

    public ReadOnlyObjectProperty<Problem> problemProperty() {
        return problem;
    }

    /** Shows a problem found outside the form, e.g. the relay refusing a remembered token. */
    public void show(Problem p) {
        problem.set(p);
    }
}

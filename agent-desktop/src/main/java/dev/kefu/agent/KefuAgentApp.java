package dev.kefu.agent;

import dev.kefu.agent.cache.SettingsStore;
import dev.kefu.agent.login.AgentAccount;
import dev.kefu.agent.login.LoginService;
import dev.kefu.agent.login.LoginView;
import dev.kefu.agent.login.LoginViewModel;
import dev.kefu.agent.login.RememberedLogin;
import dev.kefu.agent.net.LoginClient;
import dev.kefu.agent.net.ServerAddress;
import dev.kefu.agent.notify.DesktopAlerts;
import dev.kefu.agent.notify.ToneSound;
import dev.kefu.agent.settings.Language;
import dev.kefu.agent.settings.Settings;
import dev.kefu.agent.settings.SettingsView;
import dev.kefu.agent.settings.SettingsViewModel;
import dev.kefu.agent.ui.Fonts;
import dev.kefu.agent.ui.I18n;
import dev.kefu.agent.ui.UiClock;
import dev.kefu.agent.ui.UiThread;
import javafx.application.Application;
import javafx.application.Platform;
import javafx.scene.Parent;
import javafx.scene.Scene;
import javafx.scene.layout.StackPane;
import javafx.stage.Stage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The JavaFX application: settings and login first, then the main window over an
 * {@link AgentSession}. Language changes rebuild the screens in place; the view models live on.
 */
public final class KefuAgentApp extends Application {
    private static final Logger log = LoggerFactory.getLogger(KefuAgentApp.class);
    private static volatile AgentOptions configured = AgentOptions.defaults();
    /** The settings file, opened while JavaFX starts up (both take a while; they need not wait for each other). */
    private static volatile CompletableFuture<SettingsStore> settingsOpening;

    private final AgentOptions options;
    private Path dataDir;
    private ExecutorService io;
    private SettingsStore store;
    private Settings settings;
    private LoginService loginService;
    private ToneSound sound;
    private I18n i18n;
    private Stage stage;
    private Scene scene;
    private UiClock clock;
    private DesktopAlerts alerts;
    private volatile AgentSession session;
    private MainViewModel main;
    private LoginViewModel login;
    /** The screen shown now (null before the first); disposed before it is replaced. FX thread. */
    private MainView mainView;
    private LoginView loginView;
    private boolean reported;

    /** Used by {@link Application#launch}: takes the options given to {@link #configure}. */
    public KefuAgentApp() {
        this(configured);
    }

    /** For tests that start the app in their own JVM (TestFX). */
    public KefuAgentApp(AgentOptions options) {
        this.options = options;
    }

    static void configure(AgentOptions options) {
        configured = options;
        Path dir = options.dataDirOrDefault();
        settingsOpening = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                settingsOpening.complete(SettingsStore.open(dir));
            } catch (RuntimeException e) {
                settingsOpening.completeExceptionally(e);
            }
        }, "kefu-settings-open");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void init() {
        // On the launcher thread, not the FX thread: SQLite is fine here.
        dataDir = options.dataDirOrDefault();
        io = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "kefu-io");
            t.setDaemon(true);
            return t;
        });
        CompletableFuture<SettingsStore> opening = settingsOpening;
        settingsOpening = null;
        store = opening != null && options == configured ? opening.join() : SettingsStore.open(dataDir);
        settings = Settings.load(store, io);
        if (options.language() != null) {
            settings.save(settings.preferences().withLanguage(options.language())).join();
        }
        loginService = new LoginService(new LoginClient(), new RememberedLogin(store), io);
        sound = new ToneSound();
        i18n = I18n.of(settings.preferences().language().locale());
    }

    @Override
    public void start(Stage primary) {
        stage = primary;
        clock = new UiClock();
        scene = new Scene(new StackPane(), 1240, 780);
        scene.getStylesheets().add(KefuAgentApp.class.getResource("ui/kefu.css").toExternalForm());
        String cjk = Fonts.cjkStylesheet();
        if (cjk != null) {
            scene.getStylesheets().add(cjk);
        }
        stage.setScene(scene);
        stage.setMinWidth(900);
        stage.setMinHeight(560);
        updateTitle(0);
        alerts = new DesktopAlerts(() -> i18n, () -> stage, this::openConversation, this::updateTitle);
        settings.addListener(p -> UiThread.run(this::languageMaybeChanged));

        if (options.password() != null) {
            loginWithoutForm();
        } else {
            loginService.rememberedAccount().thenAccept(account -> UiThread.run(() ->
                    account.filter(this::matchesOptions).ifPresentOrElse(this::openMain, () -> showLogin(null))));
        }
    }

    /** A remembered login is used only if {@code --server} and {@code --user}, when given, name the same account. */
    private boolean matchesOptions(AgentAccount account) {
        try {
            return (options.server() == null || ServerAddress.parse(options.server()).equals(account.server()))
                    && (options.user() == null || options.user().equals(account.username()));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The running session, for tests; null before login. */
    /** The main window's view model once logged in (null before). */
    public MainViewModel mainViewModel() {
        return main;
    }

    public AgentSession session() {
        return session;
    }

    public Stage stage() {
        return stage;
    }

    // ---- login ----

    /** {@code --password-stdin}: the form shows at once, filled in and already submitting; a failure stays on it. */
    private void loginWithoutForm() {
        loginService.formDefaults().thenAccept(d -> UiThread.run(() -> {
            showLogin(null);
            if (options.server() == null && d.server() != null) {
                login.serverProperty().set(d.server());
            }
            if (options.user() == null && d.username() != null) {
                login.usernameProperty().set(d.username());
            }
            login.rememberProperty().set(d.remember());
            login.passwordProperty().set(options.password());
            login.login();
        }));
    }

    private void showLogin(LoginViewModel.Problem problem) {
        main = null;
        login = new LoginViewModel(loginService, this::openMain);
        login.prefill(options.server(), options.user());
        if (problem != null) {
            login.show(problem);
        }
        showLoginView();
        stage.show();
        report("login-screen");
    }

    // ---- main window ----

    private void openMain(AgentAccount account) {
        CompletableFuture.supplyAsync(() -> AgentSession.open(account, dataDir, settings::preferences, sound, alerts), io)
                .whenComplete((s, error) -> UiThread.run(() -> {
                    if (error != null) {
                        log.error("could not open the cache", error);
                        showLogin(LoginViewModel.Problem.REFUSED);
                        return;
                    }
                    session = s;
                    login = null;
                    main = new MainViewModel(s, this::quickReplies);
                    main.windowFocusedProperty().bind(stage.focusedProperty());
                    s.addStatusListener(status -> {
                        if (status.needsLogin()) {
                            UiThread.run(this::tokenRefused);
                        }
                    });
                    showMain();
                    main.load();
                    s.start();
                }));
    }

    private void showMain() {
        MainView view = new MainView(main, i18n, clock, this::openSettings, this::logout);
        disposeViews();
        mainView = view;
        setRoot(view.root());
        stage.show();
        if (options.startupReport() && !reported) {
            reported = true;
            afterNextPulse(() -> {
                StartupReport.milestone("main-window");
                reportHeapWithConversationOpen();
            });
        }
    }

    /** Benchmark: opens the newest conversation, then reports the heap once its messages are laid out. */
    private void reportHeapWithConversationOpen() {
        session.conversations().conversations().thenAccept(list -> UiThread.run(() -> {
            if (list.isEmpty()) {
                StartupReport.heap("main-window, empty cache");
                Platform.exit();
                return;
            }
            main.chat().messages().addListener(new javafx.collections.ListChangeListener<Object>() {
                @Override
                public void onChanged(Change<?> c) {
                    main.chat().messages().removeListener(this);
                    afterNextPulse(() -> {
                        StartupReport.heap("main-window, " + list.size() + " conversations listed, one open with "
                                + main.chat().messages().size() + " messages shown");
                        Platform.exit();
                    });
                }
            });
            main.open(list.get(0).id());
        }));
    }

    private void afterNextPulse(Runnable work) {
        scene.addPostLayoutPulseListener(new Runnable() {
            @Override
            public void run() {
                scene.removePostLayoutPulseListener(this);
                work.run();
            }
        });
        Platform.requestNextPulse();
    }

    private void openConversation(String conv) {
        if (!stage.isShowing()) {
            stage.show();
        }
        stage.toFront();
        if (main != null) {
            main.open(conv);
        }
    }

    /** The agent's own replies (or the built-in ones), then the relay's personal and shared ones, without repeats. */
    private List<String> quickReplies() {
        List<String> local = settings.quickReplies();
        if (local.isEmpty()) {
            local = new ArrayList<>();
            for (int i = 1; i <= 9; i++) {
                String text = i18n.t("quick." + i);
                if (!text.startsWith("!")) {
                    local.add(text);
                }
            }
        }
        java.util.LinkedHashSet<String> merged = new java.util.LinkedHashSet<>(local);
        if (session != null) {
            session.conversations().relayQuickReplies().stream().map(dev.kefu.protocol.Frame.QuickReply::text)
                    .filter(t -> t != null && !t.isBlank()).forEach(merged::add);
        }
        return List.copyOf(merged);
    }

    private void openSettings() {
        new SettingsView(new SettingsViewModel(settings), i18n, stage).showAndWait();
    }

    private void logout() {
        endSession();
        loginService.forgetToken().thenRun(() -> UiThread.run(() -> showLogin(null)));
    }

    private void tokenRefused() {
        if (session == null) {
            return;
        }
        endSession();
        loginService.forgetToken().thenRun(() -> UiThread.run(() -> showLogin(LoginViewModel.Problem.WRONG_CREDENTIALS)));
    }

    private void endSession() {
        AgentSession s = session;
        session = null;
        disposeViews();
        main = null;
        if (s != null) {
            io.execute(s::close);
        }
    }

    // ---- shared ----

    private void languageMaybeChanged() {
        Language wanted = settings.preferences().language();
        if (wanted.locale().equals(i18n.locale())) {
            return;
        }
        i18n = I18n.of(wanted.locale());
        updateTitle(0);
        if (main != null) {
            showMain();
        } else if (login != null) {
            showLoginView();
        }
    }

    private void showLoginView() {
        LoginView view = new LoginView(login, i18n);
        disposeViews();
        loginView = view;
        setRoot(view.root());
    }

    /**
     * Detaches the screen shown now from the view models, which outlive it, so that a replaced screen
     * stops following them (and can be collected) at once.
     */
    private void disposeViews() {
        if (mainView != null) {
            mainView.dispose();
            mainView = null;
        }
        if (loginView != null) {
            loginView.dispose();
            loginView = null;
        }
    }

    /** The main window's screen shown now (null on the login screen), for tests. */
    MainView mainView() {
        return mainView;
    }

    private void setRoot(Parent root) {
        scene.setRoot(root);
    }

    private void updateTitle(int badge) {
        String title = i18n.t("app.title");
        stage.setTitle(badge > 0 ? "(" + badge + ") " + title : title);
    }

    private void report(String milestone) {
        if (!options.startupReport() || reported) {
            return;
        }
        reported = true;
        afterNextPulse(() -> {
            StartupReport.milestone(milestone);
            StartupReport.heap(milestone);
            Platform.exit();
        });
    }

    @Override
    public void stop() {
        if (Platform.isFxApplicationThread()) {
            disposeViews();
        }
        AgentSession s = session;
        session = null;
        if (s != null) {
            s.close();
        }
        if (clock != null) {
            clock.stop();
        }
        if (alerts != null) {
            alerts.close();
        }
        sound.close();
        io.shutdown();
        try {
            io.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.close();
    }
}

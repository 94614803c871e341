package dev.kefu.agent.testing;

import dev.kefu.agent.AgentOptions;
import dev.kefu.agent.KefuAgentApp;
import dev.kefu.agent.settings.Language;
import org.testfx.api.FxToolkit;

import java.nio.file.Path;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.fail;

/** The app in a real window for UI tests: the display check, start-up as alice, and clean-up. */
public final class AgentWindow {
    private AgentWindow() {
    }

    /** Fails with how to get a display unless DISPLAY is set; then makes TestFX's primary stage. */
    public static void prepareDisplay() throws TimeoutException {
        String display = System.getenv("DISPLAY");
        if (display == null || display.isBlank()) {
            fail("UI tests need an X display and DISPLAY is not set. Run them through ./kefu test (it starts Xvfb), "
                    + "or: Xvfb :99 -screen 0 1280x800x24 & export DISPLAY=:99");
        }
        FxToolkit.registerPrimaryStage();
    }

    /** The app for alice against {@code relay}, in English; a null password shows the login form. */
    public static KefuAgentApp launch(TestRelay relay, String password, Path dataDir) throws TimeoutException {
        AgentOptions options = new AgentOptions(relay.address().toString(), "alice", password, dataDir, Language.EN, false);
        return (KefuAgentApp) FxToolkit.setupApplication(() -> new KefuAgentApp(options));
    }

    /** Stops the app (if it started) and closes its windows. */
    public static void close(KefuAgentApp app) throws TimeoutException {
        if (app != null) {
            FxToolkit.cleanupApplication(app);
            FxToolkit.cleanupStages();
        }
    }
}

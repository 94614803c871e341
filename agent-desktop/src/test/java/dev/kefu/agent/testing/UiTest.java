package dev.kefu.agent.testing;

import dev.kefu.agent.KefuAgentApp;
import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.scene.control.Label;
import javafx.scene.control.Labeled;
import javafx.scene.control.TextInputControl;
import javafx.scene.layout.VBox;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A test of the app's real window: the display checked, a fresh relay in {@link #relayDir} for
 * each test, the app's own data in {@link #dataDir}; whatever window {@link #app} holds and the
 * relay (unless the test closed it already) are closed afterwards. Subclasses launch the app with
 * {@link AgentWindow#launch} when they need it, and read it with the helpers below.
 */
public abstract class UiTest {
    /** How long {@link #waitUntil} waits. */
    protected static final long TIMEOUT_S = 20;

    @TempDir
    protected Path relayDir;
    @TempDir
    protected Path dataDir;
    protected TestRelay relay;
    protected KefuAgentApp app;

    @BeforeEach
    void startRelay() throws Exception {
        AgentWindow.prepareDisplay();
        relay = TestRelay.start(relayDir);
    }

    @AfterEach
    void closeWindowAndRelay() throws Exception {
        AgentWindow.close(app);
        if (relay != null) {
            relay.close();
        }
    }

    /** The root of the app's window. FX thread. */
    protected Parent root() {
        return app.stage().getScene().getRoot();
    }

    /** The text of the label, button or input {@code query} finds, if there is one. FX thread. */
    protected Optional<String> text(String query) {
        Node n = root().lookup(query);
        return n instanceof Labeled l ? Optional.ofNullable(l.getText())
                : n instanceof TextInputControl t ? Optional.ofNullable(t.getText()) : Optional.empty();
    }

    /** {@link #text} from the test thread. */
    protected Optional<String> textIn(String query) throws Exception {
        return WaitForAsyncUtils.asyncFx(() -> text(query)).get();
    }

    /** The texts of the message bubbles the chat shows. FX thread. */
    protected List<String> bubbleTexts() {
        VBox messages = (VBox) root().lookup("#messages");
        return messages.getChildren().stream().flatMap(row -> row.lookupAll(".bubble-text").stream())
                .map(n -> ((Label) n).getText()).toList();
    }

    /** Waits for {@code condition} (asked on the FX thread); on timeout, says what the chat showed. */
    protected void waitUntil(Callable<Boolean> condition) throws Exception {
        try {
            WaitForAsyncUtils.waitFor(TIMEOUT_S, TimeUnit.SECONDS, () -> WaitForAsyncUtils.asyncFx(condition).get());
        } catch (TimeoutException e) {
            List<String> shown;
            try {
                shown = WaitForAsyncUtils.asyncFx(this::bubbleTexts).get();
            } catch (Exception noChat) { // no window, or no chat in it
                shown = List.of();
            }
            throw new AssertionError("not within " + TIMEOUT_S + " s; the chat showed " + shown, e);
        }
    }
}

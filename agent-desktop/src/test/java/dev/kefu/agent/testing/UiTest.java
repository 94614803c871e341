package dev.kefu.agent.testing;

import dev.kefu.agent.KefuAgentApp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * A test of the app's real window: the display checked, a fresh relay in {@link #relayDir} for
 * each test, the app's own data in {@link #dataDir}; whatever window {@link #app} holds and the
 * relay (unless the test closed it already) are closed afterwards. Subclasses launch the app with
 * {@link AgentWindow#launch} when they need it.
 */
public abstract class UiTest {
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
}

package dev.kefu.agent.testing;

import dev.kefu.agent.AgentSession;
import dev.kefu.agent.login.AgentAccount;
import dev.kefu.agent.settings.Preferences;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * A test of the agent's services against a real relay in this JVM: a folder for the relay's data,
 * one for the app's, and a {@link Closer} for what the test opens (relays, sessions, clients).
 */
public abstract class SessionTest {
    @TempDir
    protected Path relayDir;
    @TempDir
    protected Path agentDir;

    @RegisterExtension
    protected final Closer closer = new Closer();

    /** A session of {@code account} caching in {@link #agentDir}, default preferences, no sound or pop-ups. */
    protected AgentSession session(AgentAccount account) {
        return AgentSession.open(account, agentDir, () -> Preferences.DEFAULTS, new Silent(), new Silent());
    }
}

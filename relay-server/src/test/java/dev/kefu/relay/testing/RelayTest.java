package dev.kefu.relay.testing;

import dev.kefu.relay.config.RelayConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * A test with a fresh relay per test method: a real Jetty on a free port over a SQLite store in
 * {@link #data}, seeded by {@link RelayFixture}, closed afterwards. Override {@link #configure} to
 * start it with other settings; a test may replace {@link #relay} (closing the old one first), and
 * whichever is there at the end is closed.
 */
public abstract class RelayTest {
    @TempDir
    protected Path data;
    protected RelayFixture relay;

    /** The settings of the relay each test starts with; the defaults unless overridden. */
    protected RelayConfig configure(RelayConfig config) {
        return config;
    }

    @BeforeEach
    void startRelay() throws Exception {
        relay = RelayFixture.start(data, this::configure);
    }

    @AfterEach
    void stopRelay() {
        if (relay != null) {
            relay.close();
        }
    }
}

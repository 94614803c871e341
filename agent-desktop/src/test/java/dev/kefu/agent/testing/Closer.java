package dev.kefu.agent.testing;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Closes what a test opened (sessions, relays, clients), newest first, after each test.
 * <pre>{@code @RegisterExtension final Closer closer = new Closer();
 * TestRelay relay = closer.track(TestRelay.start(dir));}</pre>
 */
public final class Closer implements AfterEachCallback {
    private final List<AutoCloseable> open = new ArrayList<>();

    public <T extends AutoCloseable> T track(T c) {
        open.add(c);
        return c;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        try {
            for (int i = open.size() - 1; i >= 0; i--) {
                open.get(i).close();
            }
        } finally {
            open.clear();
        }
    }
}

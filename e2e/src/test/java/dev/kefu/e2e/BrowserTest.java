package dev.kefu.e2e;

import dev.kefu.e2e.harness.Browser;
import dev.kefu.e2e.harness.HostSite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One Chromium per test class (starting one costs about a second); each test gets a fresh host
 * site on a new port, hence a new origin with empty storage, and a fresh relay data folder. After
 * each test the tab goes back online and to about:blank, so no widget outlives its test; then what
 * the test registered with {@link #closeAfter} closes, newest first. A test fails if a page threw
 * an uncaught error. Skipped where Chromium is not installed (like the widget's Node suite without
 * Node); CI installs it.
 */
abstract class BrowserTest {
    static Browser browser;

    @TempDir
    Path data;
    HostSite site;
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();

    @BeforeAll
    static void launchBrowser() throws Exception {
        String missing = "no " + Browser.CHROMIUM + " or " + Browser.CHROMEDRIVER + ": run scripts/install-test-deps.sh";
        if (System.getenv("CI") != null) {
            // CI installs the browser: a missing one there is a broken build, not a reason to skip
            org.junit.jupiter.api.Assertions.assertTrue(Browser.isInstalled(), missing);
        }
        assumeTrue(Browser.isInstalled(), missing);
        browser = Browser.launch();
    }

    @AfterAll
    static void quitBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    @BeforeEach
    void startHostSite() throws Exception {
        browser.consoleSinceLastCall(); // an earlier test's lines are not this one's
        site = closeAfter(HostSite.start());
    }

    /** Closes {@code resource} after the test, once the browser has left the page. */
    <T extends AutoCloseable> T closeAfter(T resource) {
        resources.push(resource);
        return resource;
    }

    @AfterEach
    void leavePageAndClose() throws Exception {
        List<String> console;
        try {
            console = browser.consoleSinceLastCall();
            browser.reset();
        } finally {
            closeResources();
        }
        assertThat(console).as("uncaught errors in the page").noneMatch(line -> line.contains("Uncaught"));
    }

    /** Closes every resource even if one fails; the first failure is thrown, the others attached to it. */
    private void closeResources() throws Exception {
        Exception first = null;
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}

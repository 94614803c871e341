package dev.kefu.e2e;

import dev.kefu.e2e.harness.Browser;
import dev.kefu.e2e.harness.HostSite;
import dev.kefu.e2e.harness.TestRelay;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
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
 *
 * <p>A test that fails (a wait that timed out, say) gets, before the page is left, a report of what
 * the page and each relay held then ({@link WidgetPage#explain}, {@link TestRelay#explain}, the
 * page's console), attached to its failure and printed beside the relay's log in the test's
 * surefire output: a failure seen once, on a busy machine, can be read afterwards.
 */
@ExtendWith(BrowserTest.ExplainFailure.class)
abstract class BrowserTest {
    static Browser browser;

    @TempDir
    Path data;
    HostSite site;
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    /** The page's console lines read so far in this test. */
    private final List<String> console = new ArrayList<>();

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
        try {
            console();
            browser.reset();
        } finally {
            closeResources();
        }
        assertThat(console).as("uncaught errors in the page").noneMatch(line -> line.contains("Uncaught"));
    }

    private List<String> console() {
        console.addAll(browser.consoleSinceLastCall());
        return console;
    }

    /** What the page and the relays held, for a failing test's report; never throws. */
    String explain() {
        StringBuilder out = new StringBuilder();
        try {
            out.append(browser.page().explain());
            out.append("console ").append(console()).append('\n');
        } catch (RuntimeException e) {
            out.append("page unreadable: ").append(e).append('\n');
        }
        for (AutoCloseable r : resources) {
            if (r instanceof TestRelay relay) {
                out.append(relay.explain());
            }
        }
        return out.toString();
    }

    /** Runs before {@code @AfterEach}, while the page is still there. */
    static final class ExplainFailure implements TestExecutionExceptionHandler {
        @Override
        public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
            if (context.getTestInstance().orElse(null) instanceof BrowserTest test && browser != null) {
                String report = "what the page and the relay held when " + context.getDisplayName() + " failed:\n" + test.explain();
                System.out.println(report);
                failure.addSuppressed(new AssertionError(report, null));
            }
            throw failure;
        }
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

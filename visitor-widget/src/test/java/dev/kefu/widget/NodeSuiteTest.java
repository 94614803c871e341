package dev.kefu.widget;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs the widget's behaviour suite (src/test/js, Node's built-in test runner with a fake
 * browser, no npm packages) when Node 18 or later is installed; skipped otherwise. It runs twice:
 * on the readable source, and on the minified build that the relay serves, so a minifier that
 * breaks the code fails the build.
 */
class NodeSuiteTest {

    static final Path SUITE = Path.of("src", "test", "js", "widget.test.js");
    static final Path SOURCE = Path.of("src", "main", "resources", "kefu", "widget", "widget.js");
    static final Path MINIFIED = Path.of("target", "classes", "kefu", "widget", "widget.min.js");

    @Test
    void widgetSource_passesNodeSuite() throws Exception {
        assertPassesNodeSuite(SOURCE);
    }

    @Test
    void minifiedWidget_passesNodeSuite() throws Exception {
        assumeTrue(Files.isRegularFile(SUITE), "not run from the module folder");
        assertThat(MINIFIED).as("the build's minified widget (mvn process-classes makes it)").isRegularFile();
        assertPassesNodeSuite(MINIFIED);
    }

    /** Runs the suite with fake-browser.js loading {@code widget} (its KEFU_WIDGET variable). */
    private static void assertPassesNodeSuite(Path widget) throws Exception {
        assumeTrue(Files.isRegularFile(SUITE), "not run from the module folder");
        assumeTrue(nodeMajorVersion() >= 18, "Node 18+ is not installed: skipping the JavaScript suite");

        File log = File.createTempFile("kefu-widget-node", ".log");
        log.deleteOnExit();
        ProcessBuilder builder = new ProcessBuilder("node", "--test", SUITE.toString())
                .redirectErrorStream(true)
                .redirectOutput(log);
        builder.environment().put("KEFU_WIDGET", widget.toAbsolutePath().toString());
        Process node = builder.start();
        boolean finished = node.waitFor(120, TimeUnit.SECONDS);
        if (!finished) node.destroyForcibly();
        String output = Files.readString(log.toPath(), StandardCharsets.UTF_8);

        assertThat(finished).as("node suite on %s finished within 120 s:%n%s", widget, output).isTrue();
        assertThat(node.exitValue()).as("node --test on %s, output:%n%s", widget, output).isZero();
    }

    /** The major version of `node` on the PATH, or 0 when there is none. */
    static int nodeMajorVersion() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return 0;
            }
            String version = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            return version.matches("v\\d+\\..*") ? Integer.parseInt(version.substring(1, version.indexOf('.'))) : 0;
        } catch (Exception e) {
            return 0;
        }
    }
}

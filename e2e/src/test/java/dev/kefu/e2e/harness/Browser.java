package dev.kefu.e2e.harness;

import org.openqa.selenium.OutputType;
import org.openqa.selenium.UnexpectedAlertBehaviour;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.stream.Stream;

/**
 * Debian's headless Chromium driven by its own chromedriver, both named explicitly so that Selenium
 * Manager never downloads anything, with a fresh profile folder that is deleted on {@link #close()}.
 * Network conditions and the viewport are set through the DevTools protocol (raw CDP commands, so
 * any Chromium version works).
 */
public final class Browser implements AutoCloseable {
    public static final String CHROMIUM = "/usr/bin/chromium";
    public static final String CHROMEDRIVER = "/usr/bin/chromedriver";

    private final ChromeDriver driver;
    private final Path profile;

    private Browser(ChromeDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    public static boolean isInstalled() {
        return Files.isExecutable(Path.of(CHROMIUM)) && Files.isExecutable(Path.of(CHROMEDRIVER));
    }

    public static Browser launch() throws IOException {
        Path profile = Files.createTempDirectory("kefu-e2e-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1280,800",
                "--lang=zh-CN");
        options.setExperimentalOption("prefs", Map.of("intl.accept_languages", "zh-CN,zh"));
        // An alert must stay up for the test to see it, not be dismissed behind its back.
        options.setUnhandledPromptBehaviour(UnexpectedAlertBehaviour.IGNORE);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER))
                .usingAnyFreePort()
                .build();
        try {
            ChromeDriver driver = new ChromeDriver(service, options);
            driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20)).scriptTimeout(Duration.ofSeconds(10));
            return new Browser(driver, profile);
        } catch (RuntimeException e) {
            deleteTree(profile);
            throw e;
        }
    }

    public ChromeDriver driver() {
        return driver;
    }

    /** The widget on the page the tab shows now. */
    public WidgetPage page() {
        return new WidgetPage(driver);
    }

    /** Loads {@code url} in the current tab and returns the widget on it. */
    public WidgetPage open(String url) {
        driver.get(url);
        return new WidgetPage(driver);
    }

    /**
     * DevTools offline emulation: requests and new WebSockets fail and {@code navigator.onLine}
     * turns false, but a WebSocket already open stays open (cut it at the proxy for that).
     */
    public void setOffline(boolean offline) {
        driver.executeCdpCommand("Network.enable", Map.of());
        driver.executeCdpCommand("Network.emulateNetworkConditions", Map.of(
                "offline", offline, "latency", 0, "downloadThroughput", -1, "uploadThroughput", -1));
    }

    /**
     * Makes every request whose URL matches one of {@code patterns} ({@code *} matches anything) fail
     * as a network error (an XMLHttpRequest sees status 0), as when the browser is back online but its
     * requests do not get through yet; no patterns ends it. WebSockets already open are untouched.
     */
    public void blockRequests(String... patterns) {
        driver.executeCdpCommand("Network.enable", Map.of());
        driver.executeCdpCommand("Network.setBlockedURLs", Map.of("urls", List.of(patterns)));
    }

    /** Slows uploads (request bodies) to {@code bytesPerSecond}, so that an upload takes a while; {@link #reset()} ends it. */
    public void throttleUploads(int bytesPerSecond) {
        driver.executeCdpCommand("Network.enable", Map.of());
        driver.executeCdpCommand("Network.emulateNetworkConditions", Map.of(
                "offline", false, "latency", 0, "downloadThroughput", -1, "uploadThroughput", bytesPerSecond));
    }

    /** Emulates a viewport of {@code width} x {@code height} CSS pixels; {@code mobile} also turns on touch. */
    public void emulateViewport(int width, int height, double scale, boolean mobile) {
        driver.executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of(
                "width", width, "height", height, "deviceScaleFactor", scale, "mobile", mobile));
        driver.executeCdpCommand("Emulation.setTouchEmulationEnabled", Map.of("enabled", mobile));
    }

    /** Puts the tab back as a test found it: online, default viewport, on a blank page (widget disconnected). */
    public void reset() {
        setOffline(false);
        blockRequests();
        driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
        driver.executeCdpCommand("Emulation.setTouchEmulationEnabled", Map.of("enabled", false));
        driver.get("about:blank");
    }

    /** Console lines and uncaught errors of the pages since the last call, e.g. {@code "SEVERE ... Uncaught TypeError ..."}. */
    public List<String> consoleSinceLastCall() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .map(e -> e.getLevel() + " " + e.getMessage())
                .toList();
    }

    /**
     * The families of the platform fonts that drew the text inside the element {@code elementJs}
     * evaluates to: what the user saw, not what CSS asked for.
     */
    @SuppressWarnings("unchecked")
    public List<String> fontsDrawing(String elementJs) {
        Map<String, Object> evaluated = driver.executeCdpCommand("Runtime.evaluate", Map.of("expression", elementJs));
        Object objectId = ((Map<String, Object>) evaluated.get("result")).get("objectId");
        driver.executeCdpCommand("DOM.enable", Map.of());
        driver.executeCdpCommand("CSS.enable", Map.of());
        driver.executeCdpCommand("DOM.getDocument", Map.of("depth", -1, "pierce", true));
        Object nodeId = driver.executeCdpCommand("DOM.requestNode", Map.of("objectId", objectId)).get("nodeId");
        List<Map<String, Object>> fonts = (List<Map<String, Object>>) driver.executeCdpCommand(
                "CSS.getPlatformFontsForNode", Map.of("nodeId", nodeId)).get("fonts");
        return fonts.stream().map(f -> (String) f.get("familyName")).toList();
    }

    /** A PNG of the viewport. */
    public void screenshot(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            deleteTree(profile);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp folder left behind is not worth failing a test for
        }
    }
}

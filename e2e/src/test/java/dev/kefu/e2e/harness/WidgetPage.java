package dev.kefu.e2e.harness;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.SearchContext;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The widget on the page in the current tab, seen through its test hooks (the open shadow root of
 * {@code #kefu-widget}, {@code data-kefu} selectors, {@code Kefu('state')}); see the widget's README.
 */
public final class WidgetPage {
    /** Long enough for a reconnect after an outage: backoff steps of 0.5, 1, 2, 4 s plus a handshake. */
    public static final Duration TIMEOUT = Duration.ofSeconds(20);

    private static final String MESSAGES_JS = """
            var host = document.getElementById('kefu-widget');
            if (!host || !host.shadowRoot) return [];
            return Array.prototype.map.call(host.shadowRoot.querySelectorAll('[data-kefu="msg"]'), function (m) {
              var text = m.querySelector('[data-kefu="text"]');
              return {from: m.getAttribute('data-from'), state: m.getAttribute('data-state') || '',
                      cid: m.getAttribute('data-cid') || '', text: text ? text.textContent : ''};
            });
            """;

    private final WebDriver driver;

    WidgetPage(WebDriver driver) {
        this.driver = driver;
    }

    /** A message bubble: {@code from} is visitor or agent; {@code state} pending, sent, read or failed (agent: sent). */
    public record Bubble(String from, String state, String cid, String text) {
        /** The relay has the message: sent, or read by the other side. */
        public boolean acked() {
            return "sent".equals(state) || "read".equals(state);
        }
    }

    /** {@code Kefu('state')}, or an empty map before the widget has loaded. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> state() {
        Object s = js("return window.Kefu && Kefu.loaded ? Kefu('state') : null;");
        return s == null ? Map.of() : (Map<String, Object>) s;
    }

    public boolean connected() {
        return Boolean.TRUE.equals(state().get("connected"));
    }

    public String transport() {
        return (String) state().get("transport");
    }

    public String visitorId() {
        return (String) state().get("visitorId");
    }

    public WidgetPage awaitConnected() {
        return await("the widget connected", p -> p.connected());
    }

    public WidgetPage awaitDisconnected() {
        return await("the widget noticed it is disconnected", p -> !p.state().isEmpty() && !p.connected());
    }

    /** Waits up to {@link #TIMEOUT} for {@code condition}, polling every 100 ms. */
    public WidgetPage await(String what, Predicate<WidgetPage> condition) {
        return await(what, TIMEOUT, condition);
    }

    public WidgetPage await(String what, Duration timeout, Predicate<WidgetPage> condition) {
        new WebDriverWait(driver, timeout, Duration.ofMillis(100))
                .withMessage(() -> what + "; state " + state() + ", messages " + messages())
                .until(d -> condition.test(this));
        return this;
    }

    /** Waits until the list shows exactly {@code n} messages and they all satisfy {@code each}. */
    public List<Bubble> awaitMessages(int n, String what, Predicate<Bubble> each) {
        await(n + " messages, " + what, p -> {
            List<Bubble> shown = p.messages();
            return shown.size() == n && shown.stream().allMatch(each);
        });
        return messages();
    }

    @SuppressWarnings("unchecked")
    public List<Bubble> messages() {
        List<Bubble> out = new ArrayList<>();
        for (Object o : (List<Object>) js(MESSAGES_JS)) {
            Map<String, Object> m = (Map<String, Object>) o;
            out.add(new Bubble((String) m.get("from"), (String) m.get("state"), (String) m.get("cid"), (String) m.get("text")));
        }
        return out;
    }

    /**
     * For a failing test's report: the page's address, {@code Kefu('state')}, the bubbles shown and
     * everything the widget keeps in {@code localStorage} (outbox, history, resume positions).
     */
    public String explain() {
        Object storage = js("""
                var out = {};
                try {
                  for (var i = 0; i < localStorage.length; i++) {
                    var key = localStorage.key(i);
                    out[key] = localStorage.getItem(key);
                  }
                } catch (e) { out.error = String(e); }
                return JSON.stringify(out, null, 1);
                """);
        return "page " + driver.getCurrentUrl() + "\nwidget state " + state() + "\nbubbles " + messages()
                + "\nlocalStorage " + storage + "\n";
    }

    /** Opens the panel by clicking the launcher, unless it is open. */
    public WidgetPage openPanel() {
        if (!panelOpen()) {
            find("launcher").click();
        }
        return await("the panel open", WidgetPage::panelOpen);
    }

    public boolean panelOpen() {
        return Boolean.TRUE.equals(js("""
                var host = document.getElementById('kefu-widget');
                var panel = host && host.shadowRoot && host.shadowRoot.querySelector('[data-kefu="panel"]');
                return !!panel && !panel.classList.contains('kf-hide') && panel.getBoundingClientRect().height > 0;
                """));
    }

    /** Types {@code text} into the panel's input as a user would, then presses Enter. */
    public WidgetPage type(String text) {
        openPanel();
        WebElement input = find("input");
        input.sendKeys(text);
        input.sendKeys(Keys.ENTER);
        return this;
    }

    /** Chooses {@code file} in the panel's file picker (behind the paperclip button), as a user would. */
    public WidgetPage attach(Path file) {
        openPanel();
        find("picker").sendKeys(file.toAbsolutePath().toString());
        return this;
    }

    /** The hint above the input (a refused file, a message too long), or "" while it is hidden. */
    public String hint() {
        return (String) js("""
                var hint = document.getElementById('kefu-widget').shadowRoot.querySelector('[data-kefu="hint"]');
                return hint.classList.contains('kf-hide') ? '' : hint.textContent;
                """);
    }

    /** From now on, keeps every value an upload progress bar shows; read them with {@link #progressShown()}. */
    public WidgetPage recordProgress() {
        js("""
                window.kefuProgress = [];
                new MutationObserver(function (changes) {
                  changes.forEach(function (c) {
                    var bar = c.target;
                    if (!bar.classList.contains('kf-hide')) kefuProgress.push(Number(bar.getAttribute('aria-valuenow')));
                  });
                }).observe(document.getElementById('kefu-widget').shadowRoot,
                           {subtree: true, attributes: true, attributeFilter: ['aria-valuenow']});
                """);
        return this;
    }

    /** The progress values (percent) shown since {@link #recordProgress()}, in order. */
    @SuppressWarnings("unchecked")
    public List<Long> progressShown() {
        return ((List<Object>) js("return window.kefuProgress || [];")).stream()
                .map(o -> ((Number) o).longValue()).toList();
    }

    /** An image preview in the list: who sent it, its decoded width (0 until loaded), whether it is shown. */
    public record Picture(String from, long naturalWidth, boolean shown) {
        public boolean loaded() {
            return shown && naturalWidth > 0;
        }
    }

    @SuppressWarnings("unchecked")
    public List<Picture> pictures() {
        List<Picture> out = new ArrayList<>();
        for (Object o : (List<Object>) js("""
                var root = document.getElementById('kefu-widget').shadowRoot;
                return Array.prototype.map.call(root.querySelectorAll('[data-kefu="image"]'), function (img) {
                  var msg = img.closest('[data-kefu="msg"]');
                  return {from: msg.getAttribute('data-from'), width: img.complete ? img.naturalWidth : 0,
                          shown: !img.classList.contains('kf-hide') && img.getBoundingClientRect().height > 0};
                });
                """)) {
            Map<String, Object> m = (Map<String, Object>) o;
            out.add(new Picture((String) m.get("from"), ((Number) m.get("width")).longValue(),
                    Boolean.TRUE.equals(m.get("shown"))));
        }
        return out;
    }

    /**
     * The state of the contact or rating card ({@code hook} "contact" or "rate"): {@code form},
     * {@code pending}, {@code sent} or {@code failed}; "" while the card is not in the list.
     */
    public String cardState(String hook) {
        return (String) js("""
                var card = document.getElementById('kefu-widget').shadowRoot.querySelector('[data-kefu="' + arguments[0] + '"]');
                return card && card.isConnected ? card.getAttribute('data-state') : '';
                """, hook);
    }

    public WidgetPage awaitCard(String hook, String state) {
        return await("the " + hook + " card " + state + " (now '" + cardState(hook) + "')", p -> state.equals(p.cardState(hook)));
    }

    /** The text of the element with {@code hook}, or "" while it is hidden or absent. */
    public String text(String hook) {
        return (String) js("""
                var e = document.getElementById('kefu-widget').shadowRoot.querySelector('[data-kefu="' + arguments[0] + '"]');
                return e && e.isConnected && !e.classList.contains('kf-hide') ? e.textContent : '';
                """, hook);
    }

    /** Fills the contact form as a user would (null leaves a field as it is) and presses its Submit button. */
    public WidgetPage submitContact(String name, String phone, String email, String text) {
        String[][] fields = {{"c-name", name}, {"c-phone", phone}, {"c-email", email}, {"c-text", text}};
        for (String[] f : fields) {
            if (f[1] != null) {
                WebElement input = find(f[0]);
                input.clear();
                input.sendKeys(f[1]);
            }
        }
        find("c-submit").click();
        return this;
    }

    /** Picks {@code stars} (1-5) in the rating card and types {@code comment}; its Submit button is {@code find("r-submit")}. */
    public WidgetPage rate(int stars, String comment) {
        shadowRoot().findElements(By.cssSelector("[data-kefu=\"star\"]")).get(stars - 1).click();
        find("r-comment").sendKeys(comment);
        return this;
    }

    /** An element inside the widget's shadow root by its {@code data-kefu} hook. */
    public WebElement find(String hook) {
        return shadowRoot().findElement(By.cssSelector("[data-kefu=\"" + hook + "\"]"));
    }

    public SearchContext shadowRoot() {
        return driver.findElement(By.id("kefu-widget")).getShadowRoot();
    }

    public Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }
}

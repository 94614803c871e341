package dev.kefu.e2e.harness;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A host-site page that embeds the widget the documented way (queueing stub, then one async
 * script tag with {@code data-site="shop"}), with switches for what the tests vary.
 *
 * <pre>{@code site.publish("/lp.html", ShopPage.embedding(relay.baseUrl()).withoutWebSocket())}</pre>
 */
public final class ShopPage {
    /** The nonce of the page's own inline scripts under {@link #strictCsp}. */
    public static final String NONCE = "e2e-nonce-4f1c";

    private final String widgetBase;
    private final Map<String, String> attributes = new LinkedHashMap<>();
    private boolean withoutWebSocket;
    private boolean tappingWebSocket;
    private String csp;
    private String pageLang = "zh-CN";
    private String identify = "";

    private ShopPage(String widgetBase) {
        this.widgetBase = widgetBase;
        attributes.put("site", TestRelay.SITE);
    }

    /** A page loading {@code widgetBase + "/widget.js"}; the widget talks to the same origin unless told otherwise. */
    public static ShopPage embedding(String widgetBase) {
        return new ShopPage(widgetBase);
    }

    /** {@code data-NAME="value"} on the widget's script tag, e.g. {@code ("relay", proxy.baseUrl())}. */
    public ShopPage with(String name, String value) {
        attributes.put(name, value);
        return this;
    }

    /** The {@code lang} of the page's {@code <html>} element (default zh-CN). */
    public ShopPage pageLang(String lang) {
        this.pageLang = lang;
        return this;
    }

    /**
     * Signs the host's user in the documented way: {@code Kefu('identify', {userId, userHash})}
     * through the stub, before the widget loads. {@code userId} is made of letters and digits.
     */
    public ShopPage signedIn(String userId, String userHash) {
        this.identify = ";" + signIn(userId, userHash) + ";";
        return this;
    }

    /**
     * The host's sign-in call, {@code Kefu('identify', {userId, userHash})}, as a script: for a page
     * whose user signs in while it is open ({@code page.js(ShopPage.signIn(...))}), as a shop's
     * login form that does not reload the page does. {@code userId} is made of letters and digits.
     */
    public static String signIn(String userId, String userHash) {
        return "Kefu('identify',{userId:'" + userId + "',userHash:'" + userHash + "'})";
    }

    /**
     * Signs the host's user in {@code delayMs} after the page loads, as a host does whose own
     * sign-in check answers late.
     */
    public ShopPage signedInLater(String userId, String userHash, int delayMs) {
        this.identify = ";setTimeout(function(){Kefu('identify',{userId:'" + userId + "',userHash:'" + userHash + "'});},"
                + delayMs + ");";
        return this;
    }

    /** Removes {@code window.WebSocket} before the widget loads, like a browser without it. */
    public ShopPage withoutWebSocket() {
        this.withoutWebSocket = true;
        return this;
    }

    /**
     * Wraps {@code window.WebSocket} before the widget loads with {@code window.kefuTap}, a test hook
     * on the widget's connection (as any script of the host page could): {@code sent} and
     * {@code received} list the frames each way; while {@code holding} is true frames to the relay wait
     * in {@code held} until {@code release()} sends them in order (a slow uplink);
     * {@code rewrite(text)}, when set, may change a frame on its way out; {@code inject(frame)} sends
     * one more frame on the widget's connection, as if the widget had.
     */
    public ShopPage tappingWebSocket() {
        this.tappingWebSocket = true;
        return this;
    }

    private static final String TAP = """
            (function () {
              var Native = window.WebSocket, send = Native.prototype.send;
              var tap = window.kefuTap = { holding: false, held: [], sent: [], received: [], rewrite: null };
              function Tapped(url, protocols) {
                var ws = protocols === undefined ? new Native(url) : new Native(url, protocols);
                tap.ws = ws;
                ws.addEventListener('message', function (e) { tap.received.push(JSON.parse(e.data)); });
                ws.send = function (data) { tap.send(ws, data); };
                return ws;
              }
              tap.send = function (ws, data) {
                if (tap.rewrite) data = tap.rewrite(data);
                tap.sent.push(JSON.parse(data));
                if (tap.holding) tap.held.push([ws, data]); else send.call(ws, data);
              };
              tap.inject = function (frame) { tap.send(tap.ws, JSON.stringify(frame)); };
              tap.release = function () {
                var held = tap.held;
                tap.holding = false;
                tap.held = [];
                held.forEach(function (h) { if (h[0].readyState === 1) send.call(h[0], h[1]); });
              };
              ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'].forEach(function (k) { Tapped[k] = Native[k]; });
              Tapped.prototype = Native.prototype;
              window.WebSocket = Tapped;
            })();
            """;

    /**
     * Serves the page under the policy the widget's README asks sites to allow, and nothing more:
     * no {@code 'unsafe-inline'}, no {@code style-src}; images and uploads only from the relay and
     * {@code fileHosts} (an OSS bucket's origin). Violations are recorded in
     * {@code window.cspViolations}; {@code window.evalBlocked} shows the policy is in force.
     */
    public ShopPage strictCsp(String... fileHosts) {
        String relayBase = attributes.getOrDefault("relay", widgetBase);
        String relayWs = relayBase.replaceFirst("^http", "ws");
        String files = fileHosts.length == 0 ? "" : " " + String.join(" ", fileHosts);
        this.csp = "default-src 'self'; script-src 'self' 'nonce-" + NONCE + "' " + widgetBase
                + "; connect-src 'self' " + relayBase + " " + relayWs + files
                + "; img-src 'self' " + relayBase + files;
        return this;
    }

    Map<String, String> headers() {
        return csp == null ? Map.of() : Map.of("Content-Security-Policy", csp);
    }

    String html() {
        StringBuilder tag = new StringBuilder("<script src=\"" + widgetBase + "/widget.js\"");
        attributes.forEach((name, value) -> tag.append(" data-").append(name).append("=\"").append(value).append('"'));
        tag.append(" async></script>");
        String nonce = csp == null ? "" : " nonce=\"" + NONCE + "\"";
        return """
                <!doctype html>
                <html lang="%4$s">
                <head>
                  <meta charset="utf-8">
                  <meta name="viewport" content="width=device-width, initial-scale=1">
                  <title>E2E 小店</title>
                  <script%1$s>
                    window.cspViolations = [];
                    document.addEventListener('securitypolicyviolation', function (e) {
                      if (e.blockedURI !== 'eval') window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
                    });
                    // Proof that a policy is in force (DevTools' own scripts are exempt from it).
                    window.evalBlocked = (function () { try { eval('1'); return false; } catch (e) { return true; } })();
                    %2$s
                  </script>
                  <script%1$s>window.Kefu=window.Kefu||function(){(Kefu.q=Kefu.q||[]).push(arguments)}%5$s</script>
                  %3$s
                </head>
                <body>
                  <h1>E2E 小店</h1>
                  <p>A host page for the widget's browser tests.</p>
                </body>
                </html>
                """.formatted(nonce, withoutWebSocket ? "delete window.WebSocket;" : tappingWebSocket ? TAP : "", tag, pageLang,
                identify);
    }
}

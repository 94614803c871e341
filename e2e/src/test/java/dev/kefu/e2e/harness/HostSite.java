package dev.kefu.e2e.harness;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The website that embeds the widget: a small Jetty server on its own port of 127.0.0.1, so the
 * widget runs cross-origin from the relay as it does for real customers. Each test starts its own,
 * which also gives it a fresh origin: nothing in localStorage from an earlier test.
 */
public final class HostSite implements AutoCloseable {
    private final Server jetty;
    private final ServerConnector connector;
    private final Map<String, ShopPage> pages = new ConcurrentHashMap<>();

    private HostSite() throws Exception {
        jetty = new Server();
        connector = new ServerConnector(jetty);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        jetty.addConnector(connector);
        jetty.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                serve(Request.getPathInContext(request), response, callback);
                return true;
            }
        });
        jetty.start();
    }

    public static HostSite start() throws Exception {
        return new HostSite();
    }

    /** Serves {@code page} at {@code path} and returns its URL. */
    public String publish(String path, ShopPage page) {
        pages.put(path, page);
        return baseUrl() + path;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + connector.getLocalPort();
    }

    private void serve(String path, Response response, Callback callback) {
        ShopPage page = pages.get(path);
        if (page == null) {
            response.setStatus(404);
            callback.succeeded();
            return;
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        page.headers().forEach((name, value) -> response.getHeaders().put(name, value));
        response.write(true, ByteBuffer.wrap(page.html().getBytes(StandardCharsets.UTF_8)), callback);
    }

    @Override
    public void close() {
        try {
            jetty.stop();
        } catch (Exception e) {
            throw new IllegalStateException("stopping the host site failed", e);
        }
    }
}

package dev.kefu.relay.ops;

import dev.kefu.relay.store.MessageStore;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.util.function.IntSupplier;

/** {@code /health} for load balancers and {@code /metrics} for Prometheus. */
public final class Operations {
    private final MessageStore store;
    private final PrometheusMeterRegistry meters;
    private final IntSupplier connections;
    private final String version;

    public Operations(MessageStore store, PrometheusMeterRegistry meters, IntSupplier connections, String version) {
        this.store = store;
        this.meters = meters;
        this.connections = connections;
        this.version = version;
    }

    /** 200 {@code {"status":"up"}} when the store takes writes, else 503 {@code "down"}. */
    public void health(Response response, Callback callback) {
        boolean up = store.isHealthy();
        response.setStatus(up ? 200 : 503);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        Content.Sink.write(response, true, "{\"status\":\"" + (up ? "up" : "down") + "\",\"version\":\"" + version
                + "\",\"connections\":" + connections.getAsInt() + "}", callback);
    }

    public void metrics(Response response, Callback callback) {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
        Content.Sink.write(response, true, meters.scrape(), callback);
    }
}

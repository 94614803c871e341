package dev.kefu.loadtest.client;

import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpMethod;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the two HTTP long-polling links share ({@link LongPollLink} for Kefu's {@code /lp/*},
 * {@link EngineIoPollLink} for the Socket.IO peer): requests kept in flight so that an abort stops
 * them all, and one end of the link, reported once. A request that fails or times out ends the link;
 * what an answer means is the subclass's business.
 */
abstract class HttpPollLink implements Link {
    private static final int MAX_ANSWER_BYTES = 32 * 1024 * 1024;

    final LinkListener listener;
    final long requestTimeoutMs;
    final AtomicBoolean closed = new AtomicBoolean();
    private final HttpClient http;
    private final URI base;
    private final AtomicBoolean reported = new AtomicBoolean();
    private final List<Request> inFlight = new ArrayList<>();

    HttpPollLink(HttpClient http, URI base, LinkListener listener, long requestTimeoutMs) {
        this.http = http;
        this.base = base;
        this.listener = listener;
        this.requestTimeoutMs = requestTimeoutMs;
    }

    interface Answer {
        void accept(int status, String body);
    }

    /**
     * Sends a request to {@code pathAndQuery} under the base address, with {@code body} (null: none)
     * as {@code contentType}; its answer goes to {@code answer}, unless the link ended meanwhile. A
     * failure ends the link, described as {@code what} failed.
     */
    void request(HttpMethod method, String pathAndQuery, String body, String contentType, long timeoutMs,
                 String what, Answer answer) {
        if (closed.get()) {
            return;
        }
        // The request's own idle timeout: the client's is shorter than a poll (see Swarm).
        Request r = http.newRequest(base.resolve(pathAndQuery)).method(method).timeout(timeoutMs, TimeUnit.MILLISECONDS)
                .idleTimeout(timeoutMs, TimeUnit.MILLISECONDS);
        if (body != null) {
            r.body(new StringRequestContent(contentType, body, StandardCharsets.UTF_8));
        }
        synchronized (this) {
            inFlight.add(r);
        }
        r.send(new BufferingResponseListener(MAX_ANSWER_BYTES) {
            @Override
            public void onComplete(Result result) {
                synchronized (HttpPollLink.this) {
                    inFlight.remove(r);
                }
                if (closed.get()) {
                    return;
                }
                if (result.isFailed()) {
                    closed(what + " failed: " + Links.describe(result.getFailure()));
                    return;
                }
                answer.accept(result.getResponse().getStatus(), getContentAsString(StandardCharsets.UTF_8));
            }
        });
    }

    @Override
    public void abort() {
        closed.set(true);
        List<Request> out;
        synchronized (this) {
            out = new ArrayList<>(inFlight);
            inFlight.clear();
        }
        for (Request r : out) {
            r.abort(new IOException("aborted by the client"));
        }
    }

    /** Ends the link and tells the listener, once. */
    void closed(String why) {
        boolean first = !reported.getAndSet(true);
        abort();
        if (first) {
            listener.onClosed(this, why);
        }
    }
}

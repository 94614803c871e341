package dev.kefu.loadtest.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpMethod;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * A long-poll link (PROTOCOL.md, Transports): {@code POST /lp/open} with the hello, then one
 * {@code GET /lp/poll} always outstanding, and {@code POST /lp/send} carrying queued frames in
 * batches, one request at a time so they stay in order. A poll that fails, or does not answer
 * within {@link #POLL_TIMEOUT_MS}, ends the link; so does any 4xx (such as {@code unknown_session}
 * after a relay restart): the client opens again with {@code resume}.
 */
public final class LongPollLink extends HttpPollLink {
    /** The relay answers a poll within 25 s; a poll unanswered for 35 s means the link is dead. */
    static final long POLL_TIMEOUT_MS = 35_000;
    private static final int MAX_FRAMES_PER_SEND = 200;

    private final List<String> pending = new ArrayList<>();
    private boolean sending;
    private volatile String session;

    private LongPollLink(HttpClient http, URI base, LinkListener listener, long requestTimeoutMs) {
        super(http, base, listener, requestTimeoutMs);
    }

    /** Opens a session at {@code base} (http://host:port) with {@code hello}. */
    public static LongPollLink open(HttpClient http, URI base, String hello, LinkListener listener, long timeoutMs) {
        LongPollLink link = new LongPollLink(http, base, listener, timeoutMs);
        link.request(HttpMethod.POST, "/lp/open", hello, timeoutMs, (status, body) -> {
            if (status != 200 || !body.path("lp").isTextual()) {
                link.deliver(body);
                link.closed("lp open answered " + status);
                return;
            }
            link.session = body.get("lp").asText();
            link.deliver(body);
            link.poll();
            link.flush();
        });
        return link;
    }

    private void poll() {
        request(HttpMethod.GET, "/lp/poll?lp=" + session, null, POLL_TIMEOUT_MS, (status, body) -> {
            if (status != 200) {
                deliver(body);
                closed("lp poll answered " + status);
                return;
            }
            if (body.path("frames").isEmpty()) {
                listener.onHeard(this);
            } else {
                deliver(body);
            }
            poll();
        });
    }

    @Override
    public void send(String json) {
        synchronized (this) {
            if (closed.get()) {
                return;
            }
            pending.add(json);
        }
        flush();
    }

    /** Sends what is queued unless a send is in flight or the session is not open yet. */
    private void flush() {
        String body;
        synchronized (this) {
            if (sending || session == null || pending.isEmpty() || closed.get()) {
                return;
            }
            sending = true;
            List<String> batch = pending.subList(0, Math.min(MAX_FRAMES_PER_SEND, pending.size()));
            body = "[" + String.join(",", batch) + "]";
            batch.clear();
        }
        request(HttpMethod.POST, "/lp/send?lp=" + session, body, requestTimeoutMs, (status, answer) -> {
            deliver(answer);
            if (status != 200) {
                closed("lp send answered " + status);
                return;
            }
            synchronized (this) {
                sending = false;
            }
            flush();
        });
    }

    private void deliver(JsonNode answer) {
        for (JsonNode f : answer.path("frames")) {
            if (closed.get()) {
                return;
            }
            listener.onFrame(this, f);
        }
    }

    private interface JsonAnswer {
        void accept(int status, JsonNode body);
    }

    /** Every answer of the relay's long-poll endpoints is JSON; one that is not ends the link. */
    private void request(HttpMethod method, String path, String body, long timeoutMs, JsonAnswer answer) {
        String what = "lp " + path.replaceAll("\\?.*", "");
        request(method, path, body, "text/plain", timeoutMs, what, (status, text) -> {
            JsonNode parsed;
            try {
                parsed = FrameCodec.parse(text);
            } catch (FrameException e) {
                closed(what + " answered no JSON (" + status + ")");
                return;
            }
            answer.accept(status, parsed);
        });
    }

    @Override
    public String kind() {
        return "lp";
    }
}

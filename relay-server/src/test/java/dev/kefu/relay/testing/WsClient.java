package dev.kefu.relay.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A protocol client for tests over a real WebSocket: frames received land in a queue that tests
 * read with timeouts. Answers the relay's JSON pings unless told not to.
 */
public final class WsClient implements Session.Listener.AutoDemanding, AutoCloseable {
    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final BlockingQueue<JsonNode> inbox = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final WebSocketClient client;
    private volatile Session session;
    private volatile boolean answerPings = true;

    private WsClient(WebSocketClient client) {
        this.client = client;
    }

    /** Connects to {@code uri} (e.g. ws://127.0.0.1:PORT/ws/visitor), with an optional Origin header. */
    public static WsClient connect(URI uri, String origin) throws Exception {
        WebSocketClient c = new WebSocketClient();
        c.setIdleTimeout(Duration.ofMinutes(5));
        c.setMaxTextMessageSize(1024 * 1024);
        c.start();
        WsClient ws = new WsClient(c);
        ClientUpgradeRequest req = new ClientUpgradeRequest();
        if (origin != null) {
            req.setHeader("Origin", origin);
        }
        c.connect(ws, uri, req).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        return ws;
    }

    public static WsClient connect(URI uri) throws Exception {
        return connect(uri, null);
    }

    public WsClient answerPings(boolean answer) {
        this.answerPings = answer;
        return this;
    }

    @Override
    public void onWebSocketOpen(Session s) {
        session = s;
    }

    @Override
    public void onWebSocketText(String text) {
        try {
            JsonNode node = FrameCodec.parse(text);
            if ("ping".equals(node.path("type").asText())) {
                if (answerPings) {
                    sendRaw("{\"type\":\"pong\"}");
                }
                return;
            }
            inbox.add(node);
        } catch (FrameException e) {
            throw new AssertionError("relay sent invalid JSON: " + text, e);
        }
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        closed.complete(statusCode);
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        closed.complete(-1);
    }

    public void send(Frame frame) {
        sendRaw(FrameCodec.encode(frame));
    }

    public synchronized void sendRaw(String text) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        session.sendText(text, Callback.from(() -> done.complete(null), done::completeExceptionally));
        done.join(); // one write in flight at a time
    }

    /** The next frame of {@code type} (others before it are skipped), or an AssertionError after the timeout. */
    public JsonNode next(String type) throws InterruptedException {
        return next(f -> type.equals(f.path("type").asText()), "a '" + type + "' frame");
    }

    public JsonNode next(Predicate<JsonNode> match, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        List<JsonNode> skipped = new ArrayList<>();
        while (true) {
            long left = deadline - System.nanoTime();
            JsonNode f = left <= 0 ? null : inbox.poll(left, TimeUnit.NANOSECONDS);
            if (f == null) {
                throw new AssertionError("no " + what + " within " + TIMEOUT + "; skipped " + skipped);
            }
            if (match.test(f)) {
                return f;
            }
            skipped.add(f);
        }
    }

    /** The next frame, whatever it is. */
    public JsonNode nextAny() throws InterruptedException {
        JsonNode f = inbox.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (f == null) {
            throw new AssertionError("no frame within " + TIMEOUT);
        }
        return f;
    }

    /** Collects {@code n} frames of {@code type}, in arrival order. */
    public List<JsonNode> collect(String type, int n) throws InterruptedException {
        List<JsonNode> out = new ArrayList<>();
        while (out.size() < n) {
            out.add(next(type));
        }
        return out;
    }

    /** Frames received and not yet read, without waiting. */
    public List<JsonNode> drain() {
        List<JsonNode> out = new ArrayList<>();
        inbox.drainTo(out);
        return out;
    }

    /** The close code, waiting up to {@code timeout}. */
    public int awaitClose(Duration timeout) throws Exception {
        return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean isOpen() {
        return session != null && session.isOpen() && !closed.isDone();
    }

    /** Drops the TCP connection without a close handshake (like a crash). */
    public void abort() {
        session.disconnect();
    }

    @Override
    public void close() throws Exception {
        if (session != null && session.isOpen()) {
            session.close();
        }
        client.stop();
    }
}

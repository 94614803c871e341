package dev.kefu.relay.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;
import dev.kefu.protocol.MessageKind;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A protocol client for tests over a real WebSocket, for either role: frames received land in a
 * queue that tests read with timeouts ({@link #TIMEOUT} unless {@link #timeout} says otherwise).
 * Answers the relay's JSON pings, and keeps them out of the queue, unless told not to.
 */
public final class WsClient implements Session.Listener.AutoDemanding, AutoCloseable {
    public static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** How long {@link #close} waits for the relay's answer to the close handshake. */
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);

    private final BlockingQueue<JsonNode> inbox = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final WebSocketClient client;
    private volatile Session session;
    /** Every frame received (pings aside), also those {@link #next} skipped. */
    private final List<JsonNode> received = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean answerPings = true;
    /** One permit per JSON ping received: the relay's heartbeat, as a clock for tests. */
    private final Semaphore pings = new Semaphore(0);
    private volatile Duration timeout = TIMEOUT;

    private WsClient(WebSocketClient client) {
        this.client = client;
    }

    /** Connects to {@code uri} (e.g. ws://127.0.0.1:PORT/ws/visitor), with an optional Origin header. */
    public static WsClient connect(URI uri, String origin) throws Exception {
        return connect(uri, origin == null ? Map.of() : Map.of("Origin", origin));
    }

    public static WsClient connect(URI uri) throws Exception {
        return connect(uri, Map.of());
    }

    /** Connects to {@code uri} with {@code headers} on the upgrade request (e.g. Origin, X-Forwarded-For). */
    public static WsClient connect(URI uri, Map<String, String> headers) throws Exception {
        WebSocketClient c = new WebSocketClient();
        c.setIdleTimeout(Duration.ofMinutes(5));
        c.setMaxTextMessageSize(1024 * 1024);
        c.start();
        WsClient ws = new WsClient(c);
        ClientUpgradeRequest req = new ClientUpgradeRequest();
        headers.forEach(req::setHeader);
        try {
            c.connect(ws, uri, req).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            c.stop();
            throw e;
        }
        return ws;
    }

    /** How long {@link #next} and friends wait from now on, e.g. to cover a widget's reconnect backoff. */
    public WsClient timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
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
                pings.release();
                return;
            }
            received.add(node);
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
        Duration timeout = this.timeout;
        long deadline = System.nanoTime() + timeout.toNanos();
        List<JsonNode> skipped = new ArrayList<>();
        while (true) {
            long left = deadline - System.nanoTime();
            JsonNode f = left <= 0 ? null : inbox.poll(left, TimeUnit.NANOSECONDS);
            if (f == null) {
                throw new AssertionError("no " + what + " within " + timeout + "; skipped " + skipped);
            }
            if (match.test(f)) {
                return f;
            }
            skipped.add(f);
        }
    }

    /**
     * Waits for {@code n} JSON pings that arrive after this call (answered, unless told not to):
     * about {@code n} heartbeats of the relay's time, in which it kept talking to this client.
     */
    public void awaitPings(int n) throws InterruptedException {
        pings.drainPermits();
        if (!pings.tryAcquire(n, timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("fewer than " + n + " pings within " + timeout
                    + (closed.isDone() ? "; the relay closed the connection with " + closed.join() : ""));
        }
    }

    /** Every frame this connection received so far, pings aside, whether read or not. */
    public List<JsonNode> received() {
        return List.copyOf(received);
    }

    /** Every frame up to and including the next one matching {@code match}, in arrival order. */
    public List<JsonNode> framesUntil(Predicate<JsonNode> match, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<JsonNode> out = new ArrayList<>();
        while (true) {
            long left = deadline - System.nanoTime();
            JsonNode f = left <= 0 ? null : inbox.poll(left, TimeUnit.NANOSECONDS);
            if (f == null) {
                throw new AssertionError("no " + what + " within " + timeout + "; got " + out);
            }
            out.add(f);
            if (match.test(f)) {
                return out;
            }
        }
    }

    /** The next frame, whatever it is. */
    public JsonNode nextAny() throws InterruptedException {
        JsonNode f = inbox.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (f == null) {
            throw new AssertionError("no frame within " + timeout);
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

    // ---- conversations, as either role ----

    /** Sends a text message as a visitor (the relay picks the conversation) and returns its ack. */
    public JsonNode say(String text) throws InterruptedException {
        String cid = newCid();
        send(new Frame.Send(cid, null, MessageKind.TEXT, text, null));
        return next(f -> "ack".equals(type(f)) && cid.equals(f.path("cid").asText()), "ack of " + cid);
    }

    /** Sends a text message to {@code conv} without waiting; returns its cid. */
    public String reply(String conv, String text) {
        String cid = newCid();
        send(new Frame.Send(cid, conv, MessageKind.TEXT, text, null));
        return cid;
    }

    /** As an agent, opens a conversation with a browsing visitor, {@code text} as its first message; returns the cid. */
    public String invite(String visitorId, String text) {
        String cid = newCid();
        send(new Frame.Invite(cid, visitorId, text));
        return cid;
    }

    /** As a visitor, a page view with a search engine as referrer. */
    public void page(String url, String title) {
        page(url, title, "https://www.baidu.com/s?wd=kefu");
    }

    /** As a visitor, a page view; {@code referrer} "" for a direct visit. */
    public void page(String url, String title, String referrer) {
        send(new Frame.PageView(url, title, referrer));
    }

    public void typing(String conv, String draft) {
        send(new Frame.Typing(conv, draft, null));
    }

    /** Every stored message of {@code conv}, from the relay's store (a sync from seq 0), in seq order. */
    public List<JsonNode> history(String conv) throws InterruptedException {
        send(new Frame.Sync(conv, null, 0L, 500));
        JsonNode page = next(f -> "msgs".equals(type(f)) && conv.equals(f.path("conv").asText()), "msgs of " + conv);
        List<JsonNode> items = new ArrayList<>();
        page.path("items").forEach(items::add);
        return items;
    }

    /** As an agent, the next {@code msg} frame sent by a visitor. */
    public JsonNode nextVisitorMessage() throws InterruptedException {
        return next(f -> "msg".equals(type(f)) && "visitor".equals(f.path("from").path("role").asText()),
                "a visitor's msg");
    }

    /** As an agent, the next {@code n} visitor messages, in arrival order. */
    public List<JsonNode> nextVisitorMessages(int n) throws InterruptedException {
        List<JsonNode> out = new ArrayList<>();
        while (out.size() < n) {
            out.add(nextVisitorMessage());
        }
        return out;
    }

    /** As an agent, waits until the relay reports {@code visitorId} browsing (in the visitors list or an online event). */
    public JsonNode awaitVisitorOnline(String visitorId) throws InterruptedException {
        return next(f -> switch (type(f)) {
            case "visitors" -> containsVisitor(f.path("visitors"), visitorId);
            case "visitor" -> visitorId.equals(f.path("visitor").path("id").asText());
            default -> false;
        }, "visitor " + visitorId + " online");
    }

    private static boolean containsVisitor(JsonNode list, String visitorId) {
        for (JsonNode v : list) {
            if (visitorId.equals(v.path("id").asText())) {
                return true;
            }
        }
        return false;
    }

    private static String type(JsonNode f) {
        return f.path("type").asText();
    }

    private static String newCid() {
        return "c-" + UUID.randomUUID();
    }

    /** Closes the connection (waiting up to 2 s for the relay's close handshake) and stops the client. */
    @Override
    public void close() {
        try {
            if (session != null && session.isOpen()) {
                session.close();
                closed.get(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (TimeoutException | ExecutionException e) {
            // no close handshake: stopping the client drops the connection anyway
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                client.stop();
            } catch (Exception e) {
                throw new IllegalStateException("stopping the WebSocket client failed", e);
            }
        }
    }
}

package dev.kefu.e2e.harness;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;
import dev.kefu.protocol.MessageKind;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.WebSocketClient;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * The agent side of a test: a protocol client over a real WebSocket (adapted from the relay's
 * {@code WsClient}). Frames received land in a queue that tests read with timeouts; the relay's JSON
 * pings are answered and kept out of the queue.
 */
public final class AgentClient implements Session.Listener.AutoDemanding, AutoCloseable {
    /** How long {@link #next} waits: covers a widget's reconnect backoff after an outage. */
    public static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final BlockingQueue<JsonNode> inbox = new LinkedBlockingQueue<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final WebSocketClient client;
    private volatile Session session;

    private AgentClient(WebSocketClient client) {
        this.client = client;
    }

    static AgentClient connect(URI uri) throws Exception {
        WebSocketClient c = new WebSocketClient();
        c.setIdleTimeout(Duration.ofMinutes(5));
        c.start();
        AgentClient agent = new AgentClient(c);
        try {
            c.connect(agent, uri).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            c.stop();
            throw e;
        }
        return agent;
    }

    @Override
    public void onWebSocketOpen(Session s) {
        session = s;
    }

    @Override
    public void onWebSocketText(String text) {
        try {
            JsonNode frame = FrameCodec.parse(text);
            if ("ping".equals(frame.path("type").asText())) {
                sendRaw("{\"type\":\"pong\"}");
                return;
            }
            inbox.add(frame);
        } catch (FrameException e) {
            throw new AssertionError("relay sent invalid JSON: " + text, e);
        }
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason, Callback callback) {
        closed.complete(null);
        callback.succeed();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        closed.complete(null); // the relay went away first, e.g. a restart
    }

    public void send(Frame frame) {
        sendRaw(FrameCodec.encode(frame));
    }

    private synchronized void sendRaw(String text) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        session.sendText(text, Callback.from(() -> done.complete(null), done::completeExceptionally));
        done.join(); // one write in flight at a time
    }

    /** Sends a text message to {@code conv}; returns its cid. */
    public String reply(String conv, String body) {
        String cid = newCid();
        send(new Frame.Send(cid, conv, MessageKind.TEXT, body, null));
        return cid;
    }

    /** Opens a conversation with a browsing visitor, {@code body} as its first message; returns the cid. */
    public String invite(String visitorId, String body) {
        String cid = newCid();
        send(new Frame.Invite(cid, visitorId, body));
        return cid;
    }

    /** Every stored message of {@code conv}, from the relay's store (a sync from seq 0). */
    public List<JsonNode> storedMessages(String conv) throws InterruptedException {
        send(new Frame.Sync(conv, null, 0L, 500));
        JsonNode msgs = next(f -> "msgs".equals(type(f)) && conv.equals(f.path("conv").asText()), "msgs of " + conv);
        List<JsonNode> items = new ArrayList<>();
        msgs.path("items").forEach(items::add);
        return items;
    }

    /** The next {@code msg} frame sent by a visitor. */
    public JsonNode nextVisitorMessage() throws InterruptedException {
        return next(f -> "msg".equals(type(f)) && "visitor".equals(f.path("from").path("role").asText()),
                "a visitor's msg");
    }

    /** The next {@code n} visitor messages, in arrival order. */
    public List<JsonNode> nextVisitorMessages(int n) throws InterruptedException {
        List<JsonNode> out = new ArrayList<>();
        while (out.size() < n) {
            out.add(nextVisitorMessage());
        }
        return out;
    }

    /** Waits until the relay reports {@code visitorId} browsing (in the visitors list or an online event). */
    public void awaitVisitorOnline(String visitorId) throws InterruptedException {
        next(f -> switch (type(f)) {
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

    public JsonNode next(String type) throws InterruptedException {
        return next(f -> type.equals(type(f)), "a '" + type + "' frame");
    }

    /** The next frame matching {@code match} (others before it are dropped), or an AssertionError after {@link #TIMEOUT}. */
    public JsonNode next(Predicate<JsonNode> match, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        List<String> skipped = new ArrayList<>();
        while (true) {
            long left = deadline - System.nanoTime();
            JsonNode f = left <= 0 ? null : inbox.poll(left, TimeUnit.NANOSECONDS);
            if (f == null) {
                throw new AssertionError("agent got no " + what + " within " + TIMEOUT + "; skipped " + skipped);
            }
            if (match.test(f)) {
                return f;
            }
            skipped.add(type(f));
        }
    }

    /** Every frame up to and including the next one matching {@code match}, in arrival order. */
    public List<JsonNode> framesUntil(Predicate<JsonNode> match, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        List<JsonNode> out = new ArrayList<>();
        while (true) {
            long left = deadline - System.nanoTime();
            JsonNode f = left <= 0 ? null : inbox.poll(left, TimeUnit.NANOSECONDS);
            if (f == null) {
                throw new AssertionError("agent got no " + what + " within " + TIMEOUT + "; got " + out);
            }
            out.add(f);
            if (match.test(f)) {
                return out;
            }
        }
    }

    /** Frames received and not yet read, without waiting. */
    public List<JsonNode> drain() {
        List<JsonNode> out = new ArrayList<>();
        inbox.drainTo(out);
        return out;
    }

    private static String type(JsonNode f) {
        return f.path("type").asText();
    }

    private static String newCid() {
        return "agent-" + UUID.randomUUID();
    }

    /** Closes the connection (waiting up to 2 s for the relay's close handshake) and stops the client. */
    @Override
    public void close() {
        try {
            if (session != null && session.isOpen()) {
                session.close();
                closed.get(2, TimeUnit.SECONDS);
            }
            client.stop();
        } catch (TimeoutException | ExecutionException e) {
            stopQuietly(); // no close handshake: stopping the client drops the connection anyway
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopQuietly();
        } catch (Exception e) {
            throw new IllegalStateException("stopping the agent's WebSocket client failed", e);
        }
    }

    private void stopQuietly() {
        try {
            client.stop();
        } catch (Exception e) {
            // the test is over either way
        }
    }
}

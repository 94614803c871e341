package dev.kefu.agent.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;
import dev.kefu.protocol.MessageKind;
import dev.kefu.protocol.Role;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import org.glassfish.tyrus.client.ClientManager;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A visitor speaking the wire protocol over a real WebSocket (Tyrus), for tests: frames received go
 * to a queue read with timeouts; the relay's pings are answered.
 */
public final class VisitorClient implements AutoCloseable {
    public static final Duration TIMEOUT = Duration.ofSeconds(15);

    private final ClientManager client = ClientManager.createClient();
    private final BlockingQueue<JsonNode> inbox = new LinkedBlockingQueue<>();
    /** Every frame received (pings aside), also those {@link #next} skipped. */
    private final List<JsonNode> received = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Session session;

    private VisitorClient() {}

    /** Connects and says hello as {@code visitorId} of {@code site}; the welcome is left in the queue. */
    public static VisitorClient connect(URI uri, String site, String visitorId, String name) throws Exception {
        VisitorClient v = new VisitorClient();
        v.session = v.client.connectToServer(new Endpoint() {
            @Override
            public void onOpen(Session s, EndpointConfig config) {
                s.addMessageHandler(String.class, (MessageHandler.Whole<String>) v::onText);
            }
        }, ClientEndpointConfig.Builder.create().build(), uri);
        v.send(new Frame.Hello(Role.VISITOR, site, null,
                new Frame.VisitorInfo(visitorId, name, null, Map.of("plan", "pro", "城市", "上海"), null, null),
                Map.of(), new Frame.ClientInfo("test-visitor", "1")));
        return v;
    }

    private void onText(String text) {
        try {
            JsonNode f = FrameCodec.parse(text);
            if ("ping".equals(f.path("type").asText())) {
                send(new Frame.Pong());
                return;
            }
            received.add(f);
            inbox.add(f);
        } catch (FrameException e) {
            throw new AssertionError("relay sent invalid JSON: " + text, e);
        }
    }

    public synchronized void send(Frame frame) {
        try {
            session.getBasicRemote().sendText(FrameCodec.encode(frame));
        } catch (IOException e) {
            throw new AssertionError("send failed", e);
        }
    }

    /** Sends a text message and returns its ack. */
    public JsonNode say(String text) throws InterruptedException {
        String cid = "c-" + UUID.randomUUID();
        send(new Frame.Send(cid, null, MessageKind.TEXT, text, null));
        return next(f -> "ack".equals(f.path("type").asText()) && cid.equals(f.path("cid").asText()), "ack of " + cid);
    }

    public void page(String url, String title) {
        page(url, title, "https://www.baidu.com/s?wd=kefu");
    }

    /** A page view; {@code referrer} "" for a direct visit. */
    public void page(String url, String title, String referrer) {
        send(new Frame.PageView(url, title, referrer));
    }

    public void typing(String conv, String draft) {
        send(new Frame.Typing(conv, draft, null));
    }

    /** Every frame this visitor's connection received so far, pings aside. */
    public List<JsonNode> received() {
        return List.copyOf(received);
    }

    public JsonNode next(String type) throws InterruptedException {
        return next(f -> type.equals(f.path("type").asText()), "a '" + type + "' frame");
    }

    public JsonNode next(Predicate<JsonNode> match, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        List<String> skipped = new ArrayList<>();
        while (true) {
            long left = deadline - System.nanoTime();
            JsonNode f = left <= 0 ? null : inbox.poll(left, TimeUnit.NANOSECONDS);
            if (f == null) {
                throw new AssertionError("no " + what + " within " + TIMEOUT + "; skipped " + skipped);
            }
            if (match.test(f)) {
                return f;
            }
            skipped.add(f.path("type").asText());
        }
    }

    /** Every stored message of {@code conv} (sync after 0), in seq order. */
    public List<JsonNode> history(String conv) throws InterruptedException {
        send(new Frame.Sync(conv, null, 0L, 500));
        JsonNode page = next(f -> "msgs".equals(f.path("type").asText()) && conv.equals(f.path("conv").asText()),
                "msgs of " + conv);
        List<JsonNode> out = new ArrayList<>();
        page.path("items").forEach(out::add);
        return out;
    }

    @Override
    public void close() {
        try {
            if (session != null && session.isOpen()) {
                session.close();
            }
        } catch (IOException e) {
            // closing anyway
        }
        client.shutdown();
    }
}

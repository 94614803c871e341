package dev.kefu.loadtest.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A WebSocket link: the only owner of its Jetty session. Frames queue here and are written one at a
 * time (Jetty allows one write in flight); a write that completes at once is followed in the same
 * loop rather than by recursion. The hello goes out first, as soon as the socket opens.
 *
 * <p>With {@code socketIo}, the same frames travel as Socket.IO events over Engine.IO v4 on the
 * WebSocket (for the Socket.IO peer), the way the official client does it: on the server's open
 * packet ({@code 0{...}}) it sends {@code 40} to join the default namespace, and only once the join
 * is confirmed ({@code 40{...}}) do the queued frames follow (a server closes a socket that sends
 * events before that), each sent as
 * {@code 42["frame",{...}]} and arrives the same way; Engine.IO pings ({@code 2}) are answered
 * ({@code 3}) and count as hearing from the server.
 */
public final class WsLink implements Session.Listener.AutoDemanding, Link {
    private final LinkListener listener;
    private final Queue<String> outbound = new ArrayDeque<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean reported = new AtomicBoolean();
    private boolean writing;
    private final boolean socketIo;
    /** Socket.IO only: frames wait until the server confirmed the namespace join. */
    private boolean held;
    private volatile Session session;

    private WsLink(LinkListener listener, String hello, boolean socketIo) {
        this.listener = listener;
        this.socketIo = socketIo;
        this.held = socketIo;
        outbound.add(wrap(hello));
    }

    private String wrap(String json) {
        return socketIo ? "42[\"frame\"," + json + "]" : json;
    }

    /** Starts connecting to {@code uri}; {@code hello} is the first frame sent once open; {@code deflate}: offer permessage-deflate. */
    public static WsLink connect(WebSocketClient client, URI uri, String hello, LinkListener listener,
                                 long upgradeTimeoutMs, boolean socketIo, boolean deflate) {
        WsLink link = new WsLink(listener, hello, socketIo);
        ClientUpgradeRequest request = new ClientUpgradeRequest(uri);
        if (deflate) {
            request.addExtensions("permessage-deflate");
        }
        request.setTimeout(upgradeTimeoutMs, TimeUnit.MILLISECONDS);
        try {
            client.connect(link, request).whenComplete((s, ex) -> {
                if (ex != null) {
                    link.closed("ws connect failed: " + Links.describe(ex));
                }
            });
        } catch (IOException | RuntimeException e) {
            link.closed("ws connect failed: " + Links.describe(e));
        }
        return link;
    }

    @Override
    public void onWebSocketOpen(Session s) {
        session = s;
        if (closed.get()) {
            s.disconnect();
            return;
        }
        release();
    }

    /** Starts writing what is queued, unless held or a write is in flight. */
    private void release() {
        synchronized (this) {
            if (writing || held || session == null || outbound.isEmpty()) {
                return;
            }
            writing = true;
        }
        writeLoop();
    }

    @Override
    public void onWebSocketText(String text) {
        if (closed.get()) {
            return;
        }
        if (socketIo) {
            if (text.startsWith("42")) {
                text = socketIoFrame(text);
                if (text == null) {
                    return;
                }
            } else {
                engineIo(text);
                return;
            }
        }
        JsonNode frame;
        try {
            frame = FrameCodec.parse(text);
        } catch (FrameException e) {
            listener.onFrame(this, FrameCodec.mapper().createObjectNode().put("type", "x-invalid").put("text", text));
            return;
        }
        listener.onFrame(this, frame);
    }

    /** The frame inside {@code 42["frame",{...}]}, or null for another event. */
    private String socketIoFrame(String text) {
        try {
            JsonNode event = FrameCodec.parse(text.substring(2));
            if (event.isArray() && event.size() == 2 && "frame".equals(event.get(0).asText())) {
                return event.get(1).toString();
            }
        } catch (FrameException e) {
            // not an event of ours
        }
        return null;
    }

    /** Engine.IO and Socket.IO control packets. */
    private void engineIo(String text) {
        if (text.equals("2")) {
            sendRaw("3");
            listener.onHeard(this);
        } else if (text.startsWith("41") || text.startsWith("44") || text.equals("1")) {
            closed("socket.io disconnect " + (text.length() > 2 ? text.substring(0, 2) : text));
            abort();
        } else if (text.startsWith("0")) {
            listener.onHeard(this);
            synchronized (this) {
                if (writing) {
                    return;
                }
                writing = true;
            }
            session.sendText("40", Callback.from(() -> {
                synchronized (this) {
                    writing = false;
                }
                release();
            }, x -> {
                closed("ws write failed: " + Links.describe(x));
                abort();
            }));
        } else if (text.startsWith("40")) {
            synchronized (this) {
                held = false;
            }
            listener.onHeard(this);
            release();
        } else {
            listener.onHeard(this); // "3" pong
        }
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason, Callback callback) {
        closed("ws closed " + statusCode);
        callback.succeed();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        closed("ws error: " + Links.describe(cause));
    }

    @Override
    public void send(String json) {
        sendRaw(wrap(json));
    }

    private void sendRaw(String text) {
        synchronized (this) {
            if (closed.get()) {
                return;
            }
            outbound.add(text);
            if (writing || held || session == null) {
                return;
            }
            writing = true;
        }
        writeLoop();
    }

    private void writeLoop() {
        while (true) {
            String next;
            synchronized (this) {
                next = outbound.poll();
                if (next == null || closed.get()) {
                    writing = false;
                    return;
                }
            }
            // 0: in flight; 1: sendText returned first (the callback continues); 2: completed first (we continue)
            AtomicInteger race = new AtomicInteger();
            session.sendText(next, new Callback() {
                @Override
                public void succeed() {
                    if (!race.compareAndSet(0, 2)) {
                        writeLoop();
                    }
                }

                @Override
                public void fail(Throwable x) {
                    closed("ws write failed: " + Links.describe(x));
                    abort();
                }
            });
            if (race.compareAndSet(0, 1)) {
                return;
            }
        }
    }

    @Override
    public void abort() {
        closed.set(true);
        Session s = session;
        if (s != null) {
            s.disconnect();
        }
    }

    /** Reports the end once (aborts are reported too, and ignored by a client that moved on). */
    private void closed(String why) {
        closed.set(true);
        if (!reported.getAndSet(true)) {
            listener.onClosed(this, why);
        }
    }

    @Override
    public String kind() {
        return socketIo ? "sio" : "ws";
    }
}

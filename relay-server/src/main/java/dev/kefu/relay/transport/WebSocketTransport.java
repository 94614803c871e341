package dev.kefu.relay.transport;

import dev.kefu.protocol.CloseCodes;
import dev.kefu.relay.conversation.ClientSession;
import dev.kefu.relay.conversation.ConversationHub;
import dev.kefu.relay.conversation.Transport;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Queue;

/**
 * One WebSocket connection: the only owner of its Jetty session. Outbound frames queue here and go
 * out one at a time (Jetty allows one write in flight); inbound text goes to the {@link ClientSession}.
 * A client that does not read (its queue above {@link #MAX_QUEUED_CHARS}) is disconnected rather than
 * buffered without bound; it resumes from the store when it comes back.
 */
public final class WebSocketTransport implements Session.Listener.AutoDemanding, Transport {
    private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);
    static final long MAX_QUEUED_CHARS = 8L * 1024 * 1024;

    private final ConversationHub hub;
    private final String role;
    private final String origin;
    private final String remoteAddress;
    private final String userAgent;

    /** Text frames, and at most one {@link CloseRequest} last. Guarded by {@code this}. */
    private final Queue<Object> outbound = new ArrayDeque<>();
    private long queuedChars;
    private boolean writing;
    private boolean closing;
    private Session session;
    private ClientSession client;

    public WebSocketTransport(ConversationHub hub, String role, String origin, String remoteAddress, String userAgent) {
        this.hub = hub;
        this.role = role;
        this.origin = origin;
        this.remoteAddress = remoteAddress;
        this.userAgent = userAgent;
    }

    @Override
    public void onWebSocketOpen(Session session) {
        synchronized (this) {
            this.session = session;
        }
        client = hub.open(this);
    }

    @Override
    public void onWebSocketText(String text) {
        client.onText(text);
    }

    @Override
    public void onWebSocketPing(ByteBuffer payload) {
        client.touch();
    }

    @Override
    public void onWebSocketPong(ByteBuffer payload) {
        client.touch();
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        synchronized (this) {
            closing = true;
            outbound.clear();
            queuedChars = 0;
        }
        if (client != null) {
            client.onClosed();
        }
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        log.debug("websocket error from {}: {}", remoteAddress, cause.toString());
    }

    @Override
    public void send(String json) {
        boolean tooSlow;
        synchronized (this) {
            if (closing || session == null) {
                return;
            }
            tooSlow = queuedChars + json.length() > MAX_QUEUED_CHARS;
            if (!tooSlow) {
                outbound.add(json);
                queuedChars += json.length();
                if (writing) {
                    return;
                }
                writing = true;
            }
        }
        if (tooSlow) {
            log.info("client {} is not reading; disconnecting it", remoteAddress);
            close(CloseCodes.TRY_AGAIN_LATER, "client not reading");
        } else {
            writeNext();
        }
    }

    /** Closes after the frames already queued (such as the error explaining why) went out. */
    @Override
    public void close(int code, String reason) {
        synchronized (this) {
            if (closing || session == null) {
                return;
            }
            closing = true;
            outbound.add(new CloseRequest(code, reason));
            if (writing) {
                return;
            }
            writing = true;
        }
        writeNext();
    }

    private void writeNext() {
        Object next;
        Session s;
        synchronized (this) {
            next = outbound.poll();
            if (next == null) {
                writing = false;
                return;
            }
            s = session;
        }
        if (next instanceof CloseRequest c) {
            s.close(c.code(), c.reason(), Callback.NOOP);
            return;
        }
        String text = (String) next;
        synchronized (this) {
            queuedChars -= text.length();
        }
        s.sendText(text, Callback.from(this::writeNext, failure -> {
            log.debug("write to {} failed: {}", remoteAddress, failure.toString());
            synchronized (this) {
                closing = true;
                writing = false;
                outbound.clear();
                queuedChars = 0;
            }
        }));
    }

    private record CloseRequest(int code, String reason) {}

    @Override
    public String kind() {
        return "ws";
    }

    @Override
    public boolean needsHeartbeat() {
        return true;
    }

    @Override
    public String role() {
        return role;
    }

    @Override
    public String origin() {
        return origin;
    }

    @Override
    public String remoteAddress() {
        return remoteAddress;
    }

    @Override
    public String userAgent() {
        return userAgent;
    }
}

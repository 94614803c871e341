package dev.kefu.relay.transport;

import dev.kefu.protocol.CloseCodes;
import dev.kefu.relay.conversation.ClientSession;
import dev.kefu.relay.conversation.ConversationHub;
import dev.kefu.relay.conversation.Transport;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.common.WebSocketSession;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;

/**
 * One WebSocket connection: the only owner of its Jetty session. Outbound frames go to Jetty as soon
 * as they are sent; Jetty's flusher writes them in order, and frames that queue up while a write is
 * in flight go out together in one gathering write (one system call for many frames, which is what
 * an agent receiving every message of a busy site needs). Inbound text goes to the
 * {@link ClientSession}. A client that does not read (more than {@link #MAX_QUEUED_CHARS} sent and
 * not yet written) is disconnected rather than buffered without bound; it resumes from the store
 * when it comes back. It reads one frame at a time (Jetty's explicit demand): while the store's
 * write queue is backlogged it stops reading until the backlog clears, so a relay past its capacity
 * keeps committing at capacity instead of spending the CPU on frames it would have to refuse.
 */
public final class WebSocketTransport implements Session.Listener, Transport {
    private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);
    static final long MAX_QUEUED_CHARS = 8L * 1024 * 1024;

    private final ConversationHub hub;
    private final String role;
    private final String origin;
    private final String remoteAddress;
    private final String userAgent;

    /** Characters handed to Jetty and not yet written. Guarded by {@code this}, as are the two below. */
    private long queuedChars;
    private boolean closing;
    /** A batched frame was handed to Jetty since the last {@link #flush}: that flush has something to write. */
    private boolean batched;
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
        session.demand();
    }

    @Override
    public void onWebSocketText(String text) {
        client.onText(text);
        readNext();
    }

    @Override
    public void onWebSocketPing(ByteBuffer payload) {
        client.touch();
        readNext();
    }

    @Override
    public void onWebSocketPong(ByteBuffer payload) {
        client.touch();
        readNext();
    }

    /** Binary frames are not part of the protocol: ignored, as before. */
    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
        callback.succeed();
        readNext();
    }

    /** Asks Jetty for the next frame now, or once the store's backlog clears. */
    private void readNext() {
        Session s;
        synchronized (this) {
            s = closing ? null : session;
        }
        if (s != null && !hub.holdReading(client, s::demand)) {
            s.demand();
        }
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        synchronized (this) {
            closing = true;
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

    /**
     * Hands {@code json} to Jetty. Frames keep the order of the calls that sent them: callers that
     * need an order (an ack before the msg it acknowledges) send from one thread, or one after the
     * other through an executor. Called outside this object's lock, so Jetty's callbacks, which
     * take it, can never wait on a thread that waits on Jetty.
     */
    @Override
    public void send(String json) {
        send(json, false);
    }

    /**
     * Jetty copies a batched frame into the connection's batch buffer and writes that when it is
     * full, on {@link #flush}, or with the next unbatched frame: an agent that gets 50 frames in
     * one turn of its session gets them in a few writes, not 50.
     */
    @Override
    public void sendMore(String json) {
        send(json, true);
    }

    @Override
    public void flush() {
        CoreSession core;
        synchronized (this) {
            if (closing || session == null || !batched) {
                return;
            }
            batched = false;
            core = ((WebSocketSession) session).getCoreSession();
        }
        core.flush(org.eclipse.jetty.util.Callback.NOOP);
    }

    private void send(String json, boolean batch) {
        Session s;
        boolean tooSlow;
        synchronized (this) {
            if (closing || session == null) {
                return;
            }
            tooSlow = queuedChars + json.length() > MAX_QUEUED_CHARS;
            if (!tooSlow) {
                queuedChars += json.length();
            }
            s = session;
        }
        if (tooSlow) {
            log.info("client {} is not reading; disconnecting it", remoteAddress);
            close(CloseCodes.TRY_AGAIN_LATER, "client not reading");
            return;
        }
        int chars = json.length();
        ((WebSocketSession) s).getCoreSession().sendFrame(new Frame(OpCode.TEXT, json),
                org.eclipse.jetty.util.Callback.from(() -> written(chars), this::writeFailed), batch);
        if (batch) {
            // Marked once Jetty holds the frame, never cleared by a send: two threads may send to one
            // connection (its session's, and the store's dispatch thread with acks), and a flush that
            // ran between another thread's marking and its hand-over would leave that frame waiting
            // in Jetty's batch with nothing marked. Each sender flushes after its batched sends, so
            // the flush that follows this frame on this thread finds it marked, or a later one wrote it.
            synchronized (this) {
                batched = true;
            }
        }
    }

    private synchronized void written(int chars) {
        queuedChars -= chars;
    }

    private void writeFailed(Throwable failure) {
        log.debug("write to {} failed: {}", remoteAddress, failure.toString());
        synchronized (this) {
            closing = true;
            queuedChars = 0;
        }
    }

    /** Closes after the frames already sent (such as the error explaining why) went out. */
    @Override
    public void close(int code, String reason) {
        Session s;
        synchronized (this) {
            if (closing || session == null) {
                return;
            }
            closing = true;
            s = session;
        }
        s.close(code, reason, Callback.NOOP);
    }

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

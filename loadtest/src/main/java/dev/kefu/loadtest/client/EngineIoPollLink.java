package dev.kefu.loadtest.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpMethod;

import java.net.URI;
import java.util.ArrayDeque;
import java.util.Queue;

/**
 * A Socket.IO link over Engine.IO v4 HTTP long-polling, the Socket.IO peer's own fallback
 * transport (what its browser client uses where WebSockets do not get through), so that the peer's
 * long-poll share is measured like Kefu's ({@link LongPollLink}).
 *
 * <p>The exchange, as the official client does it: {@code GET /socket.io/?EIO=4&transport=polling}
 * answers the open packet {@code 0{"sid":...,"pingInterval":...,"pingTimeout":...}}; then
 * {@code 40} (join the default namespace) is POSTed with that {@code sid}, and one GET with the
 * {@code sid} is always outstanding. Packets in either direction are joined by the record
 * separator {@code \x1e}. Frames travel as {@code 42["frame",{...}]} and, as on {@link WsLink},
 * wait until the join is confirmed ({@code 40{...}} in a poll answer): the server closes a session
 * that sends events before that. Server pings ({@code 2}) arrive in poll answers and are answered
 * with {@code 3}; every poll answer counts as hearing from the server.
 *
 * <p>Engine.IO allows one POST per session at a time (a second one in flight is an "overlap" and
 * ends the session), so packets queue here and leave in batches, one POST after the other, which
 * also keeps them in order. Answers are delivered before the next GET is made, so frames reach the
 * client in the order sent. A GET or POST that fails or times out, any answer but 200 (such as
 * 400 "Session ID unknown" after a peer restart), a close packet ({@code 1}) or a namespace
 * disconnect ({@code 41}, {@code 44}) ends the link: the client opens a new one with {@code resume}
 * and resends its outbox.
 */
public final class EngineIoPollLink extends HttpPollLink {
    /** The path and query every request of the transport starts with. */
    static final String PATH = "/socket.io/?EIO=4&transport=polling";
    private static final char SEPARATOR = '\u001e';
    private static final int MAX_PACKETS_PER_POST = 200;
    /** The peer takes POST bodies up to 1e6 bytes (maxHttpBufferSize); a chat frame's character is at most 3 bytes. */
    private static final int MAX_POST_CHARS = 300_000;
    /** Added to pingInterval + pingTimeout before a silent GET counts as dead. */
    private static final long POLL_MARGIN_MS = 5_000;

    /** Engine.IO control packets ({@code 40}, {@code 3}): never held. */
    private final Queue<String> control = new ArrayDeque<>();
    /** Socket.IO events (the frames), held until the namespace join is confirmed. */
    private final Queue<String> events = new ArrayDeque<>();
    private boolean posting;
    private boolean held = true;
    private volatile String sid;
    private volatile long pollTimeoutMs;

    private EngineIoPollLink(HttpClient http, URI base, LinkListener listener, long requestTimeoutMs) {
        super(http, base, listener, requestTimeoutMs);
    }

    /** Opens an Engine.IO session at {@code base} (http://host:port); {@code hello} is the first frame once joined. */
    public static EngineIoPollLink open(HttpClient http, URI base, String hello, LinkListener listener, long timeoutMs) {
        EngineIoPollLink link = new EngineIoPollLink(http, base, listener, timeoutMs);
        link.events.add(wrap(hello));
        link.request(HttpMethod.GET, PATH, null, timeoutMs, (status, body) -> {
            if (status != 200 || !body.startsWith("0{")) {
                link.closed("sio-lp open answered " + status);
                return;
            }
            if (link.packets(body)) {
                link.poll();
            }
        });
        return link;
    }

    private static String wrap(String json) {
        return "42[\"frame\"," + json + "]";
    }

    private void poll() {
        request(HttpMethod.GET, PATH + "&sid=" + sid, null, pollTimeoutMs, (status, body) -> {
            if (status != 200) {
                closed("sio-lp poll answered " + status);
                return;
            }
            if (packets(body)) {
                poll();
            }
        });
    }

    /** Handles one answer's packets in order; returns whether the link is still open. */
    private boolean packets(String payload) {
        if (payload.isEmpty()) {
            listener.onHeard(this);
            return !closed.get();
        }
        int from = 0;
        while (from <= payload.length() && !closed.get()) {
            int end = payload.indexOf(SEPARATOR, from);
            if (end < 0) {
                end = payload.length();
            }
            packet(payload.substring(from, end));
            from = end + 1;
        }
        return !closed.get();
    }

    private void packet(String p) {
        if (p.startsWith("42")) {
            frame(p);
        } else if (p.equals("2")) {
            listener.onHeard(this);
            sendControl("3");
        } else if (p.startsWith("0{")) {
            opened(p);
        } else if (p.startsWith("40")) {
            synchronized (this) {
                held = false;
            }
            listener.onHeard(this);
            flush();
        } else if (p.equals("1") || p.startsWith("41") || p.startsWith("44")) {
            closed("socket.io disconnect " + (p.length() > 2 ? p.substring(0, 2) : p));
        } else {
            listener.onHeard(this); // "6" noop, "3" pong, other Socket.IO packets
        }
    }

    /** The open packet: the session id and the ping timing that bounds a poll. */
    private void opened(String p) {
        JsonNode open;
        try {
            open = FrameCodec.parse(p.substring(1));
        } catch (FrameException e) {
            closed("sio-lp open packet is no JSON");
            return;
        }
        if (!open.path("sid").isTextual()) {
            closed("sio-lp open packet without sid");
            return;
        }
        pollTimeoutMs = open.path("pingInterval").asLong(25_000) + open.path("pingTimeout").asLong(20_000) + POLL_MARGIN_MS;
        sid = open.get("sid").asText();
        listener.onHeard(this);
        sendControl("40");
    }

    /** The frame inside {@code 42["frame",{...}]}; other events are ignored. */
    private void frame(String p) {
        JsonNode event;
        try {
            event = FrameCodec.parse(p.substring(2));
        } catch (FrameException e) {
            listener.onFrame(this, FrameCodec.mapper().createObjectNode().put("type", "x-invalid").put("text", p));
            return;
        }
        if (event.isArray() && event.size() == 2 && "frame".equals(event.get(0).asText())) {
            listener.onFrame(this, event.get(1));
        } else {
            listener.onHeard(this);
        }
    }

    @Override
    public void send(String json) {
        synchronized (this) {
            if (closed.get()) {
                return;
            }
            events.add(wrap(json));
        }
        flush();
    }

    private void sendControl(String packet) {
        synchronized (this) {
            if (closed.get()) {
                return;
            }
            control.add(packet);
        }
        flush();
    }

    /**
     * POSTs what is queued (control packets first, events unless held) unless a POST is in flight
     * or the session is not open yet; the POST's answer sends what queued meanwhile.
     */
    private void flush() {
        String body;
        synchronized (this) {
            if (posting || sid == null || closed.get() || (control.isEmpty() && (held || events.isEmpty()))) {
                return;
            }
            posting = true;
            StringBuilder b = new StringBuilder();
            int n = 0;
            n = take(control, b, n);
            if (!held) {
                take(events, b, n);
            }
            body = b.toString();
        }
        request(HttpMethod.POST, PATH + "&sid=" + sid, body, requestTimeoutMs, (status, answer) -> {
            if (status != 200) {
                closed("sio-lp send answered " + status);
                return;
            }
            synchronized (this) {
                posting = false;
            }
            flush();
        });
    }

    /** Moves packets from {@code q} into the body being built, within the POST limits; returns the count so far. */
    private static int take(Queue<String> q, StringBuilder b, int n) {
        while (!q.isEmpty() && n < MAX_PACKETS_PER_POST
                && (n == 0 || b.length() + 1 + q.peek().length() <= MAX_POST_CHARS)) {
            if (n > 0) {
                b.append(SEPARATOR);
            }
            b.append(q.poll());
            n++;
        }
        return n;
    }

    private void request(HttpMethod method, String pathAndQuery, String body, long timeoutMs, Answer answer) {
        String what = "sio-lp " + (body != null ? "send" : sid == null ? "open" : "poll");
        request(method, pathAndQuery, body, "text/plain;charset=UTF-8", timeoutMs, what, answer);
    }

    @Override
    public String kind() {
        return "sio-lp";
    }
}

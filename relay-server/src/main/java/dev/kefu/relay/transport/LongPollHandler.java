package dev.kefu.relay.transport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.CloseCodes;
import dev.kefu.protocol.ErrorCode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;
import dev.kefu.protocol.Limits;
import dev.kefu.relay.config.RelayConfig;
import dev.kefu.relay.conversation.ClientSession;
import dev.kefu.relay.conversation.ConversationHub;
import dev.kefu.relay.store.Ids;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code POST /lp/open}, {@code POST /lp/send}, {@code GET /lp/poll}: the same frames as the
 * WebSocket, carried by HTTP for browsers and networks where WebSocket fails. Each session is a
 * {@link LongPollSession} feeding the same {@link ClientSession} code as a WebSocket does.
 */
final class LongPollHandler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LongPollHandler.class);
    /** Largest request body: a batch of frames. */
    static final int MAX_BODY_BYTES = 1024 * 1024;
    static final int MAX_FRAMES_PER_SEND = 200;

    private final ConversationHub hub;
    private final RelayConfig config;
    private final Map<String, LongPollSession> sessions = new ConcurrentHashMap<>();
    /** Set by {@link #close()}: opens are refused with server_busy so none is left unanswered. */
    private volatile boolean closing;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kefu-longpoll");
        t.setDaemon(true);
        return t;
    });

    LongPollHandler(ConversationHub hub, RelayConfig config) {
        this.hub = hub;
        this.config = config;
        timer.scheduleAtFixedRate(this::tick, 250, 250, TimeUnit.MILLISECONDS);
    }

    int sessionCount() {
        return sessions.size();
    }

    /** CORS: the answer is readable by the calling page only if the site allows its origin. */
    private void allowOrigin(Request request, Response response, String site) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin != null && hub.originAllowed(site, origin)) {
            Http.allowOrigin(request, response);
        }
    }

    void open(Request request, Response response, Callback callback) {
        if (closing) {
            Http.allowOrigin(request, response);
            Http.frameError(response, ErrorCode.SERVER_BUSY, "relay restarting; open again shortly", callback);
            return;
        }
        Content.Source.asByteArrayAsync(request, Limits.MAX_HELLO_BYTES + 1).whenComplete((bytes, ex) -> {
            if (ex != null || bytes.length > Limits.MAX_HELLO_BYTES) {
                Http.frameError(response, ErrorCode.TOO_LARGE, "hello above " + Limits.MAX_HELLO_BYTES + " bytes", callback);
                return;
            }
            String hello = Http.utf8(bytes);
            String site = null;
            try {
                JsonNode node = FrameCodec.parse(hello);
                site = node.path("site").isTextual() ? node.get("site").asText() : null;
            } catch (FrameException e) {
                // the session answers hello_required below
            }
            allowOrigin(request, response, site);
            LongPollSession lp = new LongPollSession(Ids.random(24), site,
                    request.getHeaders().get(HttpHeader.ORIGIN), Request.getRemoteAddr(request),
                    request.getHeaders().get(HttpHeader.USER_AGENT));
            ClientSession client = hub.open(lp);
            lp.attach(client);
            sessions.put(lp.id, lp);
            client.onText(hello);
            client.afterPending(() -> {
                List<String> frames = lp.takeQueued();
                if (lp.isClosed()) {
                    sessions.remove(lp.id);
                    client.onClosed();
                    Http.json(response, errorStatus(frames), framesJson(null, frames), callback);
                } else {
                    Http.json(response, 200, framesJson(lp.id, frames), callback);
                }
            });
        });
    }

    void send(Request request, Response response, Callback callback) {
        LongPollSession lp = session(request, response, callback);
        if (lp == null) {
            return;
        }
        allowOrigin(request, response, lp.site);
        ClientSession client = lp.client();
        client.touch();
        Content.Source.asByteArrayAsync(request, MAX_BODY_BYTES + 1).whenComplete((bytes, ex) -> {
            if (ex != null || bytes.length > MAX_BODY_BYTES) {
                Http.frameError(response, ErrorCode.TOO_LARGE, "request above " + MAX_BODY_BYTES + " bytes", callback);
                return;
            }
            List<JsonNode> frames;
            try {
                frames = FrameCodec.parseArray(Http.utf8(bytes));
            } catch (FrameException e) {
                Http.frameError(response, e.code(), e.getMessage(), callback);
                return;
            }
            if (frames.size() > MAX_FRAMES_PER_SEND) {
                Http.frameError(response, ErrorCode.TOO_LARGE, "at most " + MAX_FRAMES_PER_SEND + " frames per send", callback);
                return;
            }
            for (JsonNode f : frames) {
                client.onText(f.toString());
            }
            // Answers once the frames were handled; acks follow in polls once their writes commit.
            client.afterPending(() -> Http.json(response, 200, "{\"frames\":[]}", callback));
        });
    }

    void poll(Request request, Response response, Callback callback) {
        LongPollSession lp = session(request, response, callback);
        if (lp == null) {
            return;
        }
        allowOrigin(request, response, lp.site);
        lp.client().touch();
        AtomicBoolean answered = new AtomicBoolean();
        lp.poll(frames -> {
            if (answered.compareAndSet(false, true)) {
                Http.json(response, 200, framesJson(null, frames), callback);
            }
        });
    }

    private LongPollSession session(Request request, Response response, Callback callback) {
        Fields query = Request.extractQueryParameters(request);
        String id = query.getValue("lp");
        LongPollSession lp = id == null ? null : sessions.get(id);
        if (lp == null || lp.isClosed()) {
            Http.allowOrigin(request, response); // so the page can read the 404 and open again
            Http.frameError(response, ErrorCode.UNKNOWN_SESSION, "unknown or expired long-poll session; open again", callback);
            return null;
        }
        return lp;
    }

    private void tick() {
        long now = System.nanoTime();
        long maxPoll = TimeUnit.SECONDS.toNanos(config.lpPollSec());
        long ttl = TimeUnit.SECONDS.toNanos(config.lpSessionTtlSec());
        for (LongPollSession lp : sessions.values()) {
            try {
                if (lp.tick(now, maxPoll, ttl)) {
                    sessions.remove(lp.id);
                    lp.close(CloseCodes.GOING_AWAY, "expired");
                    lp.client().onClosed();
                }
            } catch (RuntimeException e) {
                log.error("long-poll tick failed for {}", lp.id, e);
            }
        }
    }

    private static String framesJson(String lpId, List<String> frames) {
        StringBuilder sb = new StringBuilder(64 + frames.stream().mapToInt(String::length).sum());
        sb.append('{');
        if (lpId != null) {
            sb.append("\"lp\":\"").append(lpId).append("\",");
        }
        sb.append("\"frames\":[");
        for (int i = 0; i < frames.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(frames.get(i));
        }
        return sb.append("]}").toString();
    }

    /** The status for a refused open: that of the error frame in it. */
    private static int errorStatus(List<String> frames) {
        for (String f : frames) {
            try {
                if (FrameCodec.decode(f) instanceof Frame.Error e && ErrorCode.fromWire(e.code()) != null) {
                    return Http.statusOf(ErrorCode.fromWire(e.code()));
                }
            } catch (FrameException ignored) {
                // not ours to judge
            }
        }
        return 400;
    }

    /** Ends every session (relay shutdown): parked polls are answered. */
    @Override
    public void close() {
        closing = true;
        timer.shutdownNow();
        for (LongPollSession lp : sessions.values()) {
            lp.close(CloseCodes.SERVICE_RESTART, "relay restarting");
        }
        sessions.clear();
    }
}

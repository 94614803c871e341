package dev.kefu.loadtest.client;

import dev.kefu.loadtest.books.Ledger;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.client.WebSocketClient;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The machinery every simulated client shares: one Jetty HTTP client (long-poll, logins, WebSocket
 * upgrades) and one WebSocket client on top of it (plus a second HTTP client, on the same threads,
 * for the Socket.IO peer's polling), timers for reconnects, a watchdog that checks
 * every client twice a second, and tallies of why links were lost and which errors came back.
 */
public final class Swarm implements AutoCloseable {
    private final Ledger ledger;
    private final boolean wsDeflate;
    private final HttpClient http;
    /**
     * The Socket.IO peer's polling links only. Node closes a keep-alive connection idle for 5 s
     * (its http server's keepAliveTimeout); a request the client sends on such a connection as it
     * closes fails (EOF), which a browser retries unseen but would end a link here. So this client
     * closes its own idle connections first, after {@link #PEER_POLL_IDLE_MS}; each request keeps
     * its own, longer, idle timeout while in flight.
     */
    private final HttpClient peerPollHttp;
    static final long PEER_POLL_IDLE_MS = 3_000;
    private final WebSocketClient ws;
    private final ScheduledExecutorService timers;
    private final List<SimClient> clients = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> visitorIndex = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> errorCodes = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> lossReasons = new ConcurrentHashMap<>();
    /** "visitors/sio-lp" -> "acks" -> count: what each kind of client did on its transport. */
    private final Map<String, Map<String, LongAdder>> tallies = new ConcurrentHashMap<>();
    private final long connectTimeoutNanos;
    private volatile boolean chatting;
    private static final long WATCH_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** A watchdog tick this late means this process was stalled (GC, starved of CPU). */
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(2);
    private long lastWatchNanos;
    private final LongAdder stalls = new LongAdder();
    private volatile long worstStallNanos;

    public Swarm(Ledger ledger, Duration connectTimeout) throws Exception {
        this(ledger, connectTimeout, false);
    }

    /** @param wsDeflate WebSocket links offer permessage-deflate */
    public Swarm(Ledger ledger, Duration connectTimeout, boolean wsDeflate) throws Exception {
        this.ledger = ledger;
        this.wsDeflate = wsDeflate;
        this.connectTimeoutNanos = connectTimeout.toNanos();
        QueuedThreadPool pool = new QueuedThreadPool(64, 4);
        pool.setName("lt-net");
        pool.setDaemon(true);
        http = new HttpClient(new HttpClientTransportOverHTTP(1));
        http.setExecutor(pool);
        http.setMaxConnectionsPerDestination(200_000);
        http.setMaxRequestsQueuedPerDestination(200_000);
        http.setConnectTimeout(connectTimeout.toMillis());
        http.setIdleTimeout(120_000);
        http.setFollowRedirects(false);
        http.setUserAgentField(null);
        http.start();
        peerPollHttp = new HttpClient(new HttpClientTransportOverHTTP(1));
        peerPollHttp.setExecutor(pool);
        peerPollHttp.setMaxConnectionsPerDestination(200_000);
        peerPollHttp.setMaxRequestsQueuedPerDestination(200_000);
        peerPollHttp.setConnectTimeout(connectTimeout.toMillis());
        peerPollHttp.setIdleTimeout(PEER_POLL_IDLE_MS);
        peerPollHttp.setFollowRedirects(false);
        peerPollHttp.setUserAgentField(null);
        peerPollHttp.start();
        ws = new WebSocketClient(http);
        ws.setIdleTimeout(Duration.ofMinutes(10));
        ws.setMaxTextMessageSize(64L * 1024 * 1024);
        ws.setInputBufferSize(4096);
        ws.setOutputBufferSize(4096);
        ws.start();
        AtomicInteger n = new AtomicInteger();
        timers = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "lt-timer-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        timers.scheduleAtFixedRate(this::watch, 500, 500, TimeUnit.MILLISECONDS);
    }

    public Ledger ledger() {
        return ledger;
    }

    public HttpClient http() {
        return http;
    }

    public ScheduledExecutorService timers() {
        return timers;
    }

    long connectTimeoutNanos() {
        return connectTimeoutNanos;
    }

    public void add(SimClient client) {
        clients.add(client);
    }

    public List<SimClient> clients() {
        return clients;
    }

    void registerVisitor(String visitorId, int index) {
        visitorIndex.put(visitorId, index);
    }

    /** The index of one of this run's visitors, or -1. */
    int visitorIndex(String visitorId) {
        return visitorId == null ? -1 : visitorIndex.getOrDefault(visitorId, -1);
    }

    /** While true, agents reply; set false to let the books settle. */
    public void chatting(boolean on) {
        chatting = on;
    }

    boolean chatting() {
        return chatting;
    }

    /**
     * Opens a link of {@code transport} to {@code base} (http://host:port): {@code ws} (WebSocket at
     * {@code wsPath}), {@code lp} (long-poll), and for the Socket.IO peer {@code sio} (Socket.IO over
     * an Engine.IO WebSocket) or {@code sio-lp} (Socket.IO over Engine.IO HTTP long-polling).
     */
    Link open(LinkListener listener, URI base, String wsPath, String transport, String hello) {
        long timeoutMs = TimeUnit.NANOSECONDS.toMillis(connectTimeoutNanos);
        return switch (transport) {
            case "ws" -> WsLink.connect(ws, URI.create("ws://" + base.getAuthority() + wsPath), hello, listener, timeoutMs,
                    false, wsDeflate);
            case "sio" -> WsLink.connect(ws, URI.create("ws://" + base.getAuthority() + "/socket.io/?EIO=4&transport=websocket"),
                    hello, listener, timeoutMs, true, wsDeflate);
            case "lp" -> LongPollLink.open(http, base, hello, listener, timeoutMs);
            case "sio-lp" -> EngineIoPollLink.open(peerPollHttp, base, hello, listener, timeoutMs);
            default -> throw new IllegalArgumentException("unknown transport " + transport);
        };
    }

    void noteError(String code) {
        errorCodes.computeIfAbsent(code, k -> new LongAdder()).increment();
    }

    void tally(String key, String what) {
        tallies.computeIfAbsent(key, k -> new ConcurrentHashMap<>()).computeIfAbsent(what, k -> new LongAdder()).increment();
    }

    /**
     * Per role and transport ({@code visitors/ws}, {@code visitors/lp}, {@code agents/sio}...): links
     * opened and lost, welcomes, acks received, new messages received.
     */
    public Map<String, Map<String, Long>> tallies() {
        Map<String, Map<String, Long>> out = new TreeMap<>();
        tallies.forEach((k, v) -> out.put(k, snapshot(v)));
        return out;
    }

    void noteLoss(String why) {
        String kind = why;
        if (kind.length() > 90) {
            kind = kind.substring(0, 90);
        }
        lossReasons.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    /** Times this process itself stalled for more than 2 s, and the longest stall in ms. */
    public Map<String, Long> stalls() {
        return Map.of("count", stalls.sum(), "worstMs", worstStallNanos / 1_000_000);
    }

    public Map<String, Long> errorCodes() {
        return snapshot(errorCodes);
    }

    public Map<String, Long> lossReasons() {
        return snapshot(lossReasons);
    }

    private static Map<String, Long> snapshot(Map<String, LongAdder> m) {
        Map<String, Long> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    private void watch() {
        long now = System.nanoTime();
        long late = lastWatchNanos == 0 ? 0 : now - lastWatchNanos - WATCH_EVERY_NANOS;
        lastWatchNanos = now;
        if (late > STALL_NANOS) {
            stalls.increment();
            worstStallNanos = Math.max(worstStallNanos, late);
        }
        for (SimClient c : clients) {
            try {
                if (late > STALL_NANOS) {
                    c.forgive(late);
                }
                c.check(now);
            } catch (RuntimeException e) {
                // one broken client must not stop the watchdog
            }
        }
    }

    @Override
    public void close() {
        timers.shutdownNow();
        for (SimClient c : clients) {
            c.stop();
        }
        try {
            ws.stop();
        } catch (Exception ignored) {
            // exiting anyway
        }
        try {
            peerPollHttp.stop();
        } catch (Exception ignored) {
            // exiting anyway
        }
        try {
            http.stop();
        } catch (Exception ignored) {
            // exiting anyway
        }
    }
}

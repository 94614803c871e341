package dev.kefu.loadtest.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.loadtest.books.ConvBook;
import dev.kefu.loadtest.books.Ledger;

import java.net.URI;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * What every simulated client does the way a real one must (PROTOCOL.md): hello with
 * {@code resume}, answer pings, keep an outbox of unacked messages and send it again with the same
 * cids after every reconnect, drop a link silent for 2 x heartbeat, reconnect with backoff and
 * jitter. Subclasses add the visitor's or the agent's part. All state is guarded by {@code this};
 * links call in from network threads.
 */
public abstract class SimClient implements LinkListener {
    private enum State { IDLE, CONNECTING, READY, DISCONNECTED, STOPPED }

    /** Codes after which a refused send is tried again later with the same cid. */
    private static final java.util.Set<String> RETRYABLE = java.util.Set.of("rate_limited", "server_busy");
    /** Backoff after server_busy / rate_limited, as the widget does: 2, 4, 8... up to 30 s, jittered. */
    private static final long RETRY_BASE_MS = 1_000;
    private static final long RETRY_MAX_MS = 30_000;

    protected final Swarm swarm;
    protected final Ledger ledger;
    protected final int index;
    protected final URI base;
    protected final String transport;
    protected final ConvBook book = new ConvBook();
    /** cid -> send frame, oldest first: everything sent and not acked (or refused for good) yet. */
    protected final LinkedHashMap<String, String> outbox = new LinkedHashMap<>();
    /** cid -> how many times the relay asked to retry it later. */
    private final java.util.Map<String, Integer> refusals = new java.util.HashMap<>();

    private State state = State.IDLE;
    private Link link;
    private boolean opening;
    private boolean failedWhileOpening;
    private int attempts;
    private boolean everReady;
    private long connectStartNanos;
    private long lostAtNanos;
    private long lastHeardNanos;
    /** Watchdog clocks: like connectStartNanos and lastHeardNanos, but moved on when this process stalled. */
    private long connectMarkNanos;
    private long aliveMarkNanos;
    private int heartbeatSec = 25;
    private Map<String, Long> catchUp;
    private long catchUpStartNanos;
    private long caughtUpNanos;
    private boolean paused;
    private long replayedSinceWelcome;
    private long lastResumeNanos = -1;
    private long lastResumeMessages;

    protected SimClient(Swarm swarm, int index, URI base, String transport) {
        this.swarm = swarm;
        this.ledger = swarm.ledger();
        this.index = index;
        this.base = base;
        this.transport = transport;
    }

    /** The hello to open a connection with, resuming {@code resume}. */
    protected abstract String hello(Map<String, Long> resume);

    /** {@code /ws/visitor} or {@code /ws/agent}. */
    protected abstract String wsPath();

    /** The welcome arrived. */
    protected abstract void onWelcome(JsonNode welcome);

    /** A {@code msg} arrived that this client did not hold yet ({@code replayed}: held already, sent again). */
    protected abstract void onMsg(JsonNode msg, ConvBook.Outcome outcome);

    /** Any frame not handled here ({@code conv}, {@code visitor}, errors without cid...). */
    protected void onOther(JsonNode frame) {}

    /** The relay refused the hello itself (bad token...); returns whether to reconnect. */
    protected boolean onHelloRefused(String code) {
        return true;
    }

    /**
     * Most characters of a hello's {@code resume}: a Kefu relay takes a hello up to 1 MiB
     * ({@link dev.kefu.protocol.Limits#MAX_HELLO_BYTES}), room for about 25,000 conversations.
     */
    protected int resumeBudgetChars() {
        return dev.kefu.protocol.Limits.MAX_HELLO_BYTES - 4_096;
    }

    // ---- lifecycle ----

    public synchronized void start() {
        if (state == State.IDLE) {
            connect();
        }
    }

    /** Drops the connection and stays down. */
    public synchronized void stop() {
        state = State.STOPPED;
        Link l = link;
        link = null;
        if (l != null) {
            l.abort();
        }
    }

    /** Drops the connection and stays away until {@link #unpause()} (to make it miss messages on purpose). */
    public synchronized void pause() {
        paused = true;
        if (link != null) {
            Link l = link;
            lost("paused by the run");
            l.abort();
        }
    }

    /** Reconnects now after {@link #pause()}. */
    public synchronized void unpause() {
        paused = false;
        if (state == State.DISCONNECTED) {
            connect();
        }
    }

    /** The last resume: ms from the reconnect that succeeded to holding everything; -1 if none yet. */
    public synchronized double lastResumeMs() {
        return lastResumeNanos < 0 ? -1 : lastResumeNanos / 1e6;
    }

    /** Messages received between the last resume's welcome and catching up. */
    public synchronized long lastResumeMessages() {
        return lastResumeMessages;
    }

    public synchronized boolean isReady() {
        return state == State.READY;
    }

    /** Ready and holding everything its last welcome said exists. */
    public synchronized boolean isCaughtUp() {
        return state == State.READY && catchUp == null;
    }

    public String transport() {
        return transport;
    }

    /** Whether {@code transport} is a long-poll one: Kefu's ({@code lp}) or the Socket.IO peer's ({@code sio-lp}). */
    public static boolean longPoll(String transport) {
        return "lp".equals(transport) || "sio-lp".equals(transport);
    }

    /**
     * Where this client's traffic is counted by transport ({@code visitors/lp}, {@code agents/sio}...);
     * null: not counted (the audit connection).
     */
    protected String tallyKey() {
        return null;
    }

    private void tally(String what) {
        String key = tallyKey();
        if (key != null) {
            swarm.tally(key, what);
        }
    }

    public int index() {
        return index;
    }

    private void connect() {
        state = State.CONNECTING;
        connectStartNanos = System.nanoTime();
        lastHeardNanos = connectStartNanos;
        connectMarkNanos = connectStartNanos;
        aliveMarkNanos = connectStartNanos;
        Map<String, Long> resume = book.resume(resumeBudgetChars());
        book.newConnection(resume);
        opening = true;
        failedWhileOpening = false;
        tally("linksOpened");
        Link l;
        try {
            l = swarm.open(this, base, wsPath(), transport, hello(resume));
        } catch (RuntimeException e) {
            l = null;
            failedWhileOpening = true;
        }
        opening = false;
        link = l;
        if (failedWhileOpening) {
            link = null;
            ledger.connectFailures.increment();
            scheduleReconnect();
        }
    }

    private void scheduleReconnect() {
        if (state == State.STOPPED) {
            return;
        }
        state = State.DISCONNECTED;
        attempts++;
        // 0.5 s, 1 s, 2 s ... capped at 30 s, each between 50 % and 100 % of that (jitter)
        double capped = Math.min(30_000, 500 * Math.pow(2, Math.min(attempts - 1, 10)));
        long delayMs = (long) (capped * (0.5 + 0.5 * ThreadLocalRandom.current().nextDouble()));
        swarm.timers().schedule(this::reconnectNow, delayMs, TimeUnit.MILLISECONDS);
    }

    private synchronized void reconnectNow() {
        if (state == State.DISCONNECTED && !paused) {
            connect();
        }
    }

    /** Called by the swarm's watchdog about twice a second. */
    synchronized void check(long now) {
        Link l = link;
        if (l == null) {
            return;
        }
        if (state == State.CONNECTING && now - connectMarkNanos > swarm.connectTimeoutNanos()) {
            lost("no welcome within " + TimeUnit.NANOSECONDS.toSeconds(swarm.connectTimeoutNanos()) + " s");
            l.abort();
        } else if (state == State.READY && now - aliveMarkNanos > TimeUnit.SECONDS.toNanos(2L * heartbeatSec)) {
            lost("silent for 2 x " + heartbeatSec + " s");
            l.abort();
        }
    }

    /**
     * This process was stalled for {@code nanos} (GC, CPU starvation): frames may sit unread in
     * socket buffers, so the watchdog's clocks move on by that much rather than blame the relay.
     */
    synchronized void forgive(long nanos) {
        connectMarkNanos += nanos;
        aliveMarkNanos += nanos;
    }

    /** The current link is gone: forget it and plan the reconnect. */
    private void lost(String why) {
        swarm.noteLoss(why);
        tally("linksLost");
        if (state == State.READY) {
            if (lostAtNanos == 0) {
                lostAtNanos = System.nanoTime();
            }
            ledger.reconnects.increment();
        } else {
            ledger.connectFailures.increment();
        }
        link = null;
        scheduleReconnect();
    }

    // ---- LinkListener ----

    @Override
    public synchronized void onClosed(Link l, String why) {
        if (opening) {
            failedWhileOpening = true;
            return;
        }
        if (l != link || state == State.STOPPED) {
            return;
        }
        lost(why);
    }

    @Override
    public synchronized void onHeard(Link l) {
        if (l == link) {
            lastHeardNanos = System.nanoTime();
            aliveMarkNanos = lastHeardNanos;
        }
    }

    @Override
    public synchronized void onFrame(Link l, JsonNode f) {
        if (l != link || state == State.STOPPED) {
            return;
        }
        long now = System.nanoTime();
        lastHeardNanos = now;
        aliveMarkNanos = now;
        String type = f.path("type").asText();
        switch (type) {
            case "welcome" -> welcome(f, now);
            case "ping" -> l.send("{\"type\":\"pong\"}");
            case "ack" -> {
                String cid = f.path("cid").asText();
                outbox.remove(cid);
                refusals.remove(cid);
                ledger.acked(cid, f.path("conv").asText(), f.path("seq").asLong(), now);
                tally("acks");
            }
            case "msg" -> {
                String conv = f.path("conv").asText();
                ConvBook.Outcome outcome = book.receive(conv, f.path("seq").asLong(), ledger);
                if (catchUp != null) {
                    replayedSinceWelcome++;
                }
                if (outcome != ConvBook.Outcome.DUPLICATE) {
                    tally("msgsReceived");
                    onMsg(f, outcome);
                }
                if (catchUp != null) {
                    Long target = catchUp.get(conv);
                    if (target != null && book.held(conv) >= target) {
                        catchUp.remove(conv);
                        if (catchUp.isEmpty()) {
                            caughtUp(now);
                        }
                    }
                }
            }
            case "error" -> error(l, f);
            default -> onOther(f);
        }
    }

    private void welcome(JsonNode f, long now) {
        boolean reconnect = everReady;
        state = State.READY;
        everReady = true;
        attempts = 0;
        tally("welcomes");
        heartbeatSec = Math.max(1, f.path("heartbeatSec").asInt(25));
        if (!reconnect) {
            ledger.connect.recordNanos(now - connectStartNanos);
        }
        onWelcome(f);
        Map<String, Long> targets = new HashMap<>();
        for (JsonNode c : f.path("conversations")) {
            String id = c.path("id").asText();
            long last = c.path("lastSeq").asLong();
            boolean live = !"closed".equals(c.path("status").asText());
            if (live && book.held(id) < last) {
                targets.put(id, last);
            }
        }
        catchUp = targets;
        catchUpStartNanos = connectStartNanos;
        replayedSinceWelcome = 0;
        if (catchUp.isEmpty()) {
            caughtUp(now);
        }
        for (String json : outbox.values()) {
            link.send(json);
            ledger.transmissions.increment();
            ledger.resent.increment();
        }
    }

    private void caughtUp(long now) {
        catchUp = null;
        caughtUpNanos = now;
        if (lostAtNanos != 0) {
            lastResumeNanos = now - catchUpStartNanos;
            lastResumeMessages = replayedSinceWelcome;
            ledger.resume.recordNanos(now - catchUpStartNanos);
            ledger.recovery.recordNanos(now - lostAtNanos);
            lostAtNanos = 0;
        }
    }

    private void error(Link l, JsonNode f) {
        ledger.errors.increment();
        String code = f.path("code").asText();
        swarm.noteError(code);
        String cid = f.path("cid").isTextual() ? f.get("cid").asText() : null;
        if (cid != null && outbox.containsKey(cid)) {
            if (RETRYABLE.contains(code)) {
                ledger.refusedRetried.increment();
                int tries = refusals.merge(cid, 1, Integer::sum);
                long delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS << Math.min(tries, 5));
                long jittered = delay / 2 + java.util.concurrent.ThreadLocalRandom.current().nextLong(delay / 2 + 1);
                swarm.timers().schedule(() -> retry(l, cid), jittered, TimeUnit.MILLISECONDS);
            } else {
                outbox.remove(cid);
                refusals.remove(cid);
                ledger.rejected(cid);
            }
            return;
        }
        if (state == State.CONNECTING && !onHelloRefused(code)) {
            state = State.STOPPED;
        }
        onOther(f);
    }

    private synchronized void retry(Link l, String cid) {
        String json = outbox.get(cid);
        if (json != null && l == link && state == State.READY) {
            l.send(json);
            ledger.transmissions.increment();
        }
    }

    // ---- for subclasses ----

    /** Puts a new message in the outbox and sends it if connected. */
    protected void submit(String cid, String json) {
        outbox.put(cid, json);
        if (state == State.READY && link != null) {
            link.send(json);
            ledger.transmissions.increment();
        }
    }

    /** Sends a frame now if connected (not kept: accept, typing...). */
    protected void sendIfReady(String json) {
        if (state == State.READY && link != null) {
            link.send(json);
        }
    }
}

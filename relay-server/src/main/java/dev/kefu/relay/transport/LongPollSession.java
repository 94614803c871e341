package dev.kefu.relay.transport;

import dev.kefu.relay.conversation.ClientSession;
import dev.kefu.relay.conversation.Transport;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One long-poll session: a queue of frames for the client and at most one parked poll waiting for
 * them. A frame leaves the queue only when a poll answer takes it; if that answer is lost on the
 * way, the client's poll fails and it opens again with {@code resume}, so nothing stored is lost.
 */
final class LongPollSession implements Transport {
    /** Frames waiting beyond which the client is deemed gone (it stopped polling but is not expired yet). */
    private static final int MAX_QUEUED = 20_000;

    final String id;
    final String site;
    private final String origin;
    private final String remoteAddress;
    private final String userAgent;
    private ClientSession client;

    private final List<String> queue = new ArrayList<>();
    private Consumer<List<String>> parked;
    private long parkedAtNanos;
    private long lastPollNanos = System.nanoTime();
    private boolean closed;

    LongPollSession(String id, String site, String origin, String remoteAddress, String userAgent) {
        this.id = id;
        this.site = site;
        this.origin = origin;
        this.remoteAddress = remoteAddress;
        this.userAgent = userAgent;
    }

    void attach(ClientSession client) {
        this.client = client;
    }

    ClientSession client() {
        return client;
    }

    @Override
    public void send(String json) {
        Consumer<List<String>> waiting = null;
        List<String> frames = null;
        synchronized (this) {
            if (closed) {
                return;
            }
            queue.add(json);
            if (queue.size() > MAX_QUEUED) {
                closed = true;
            }
            if (parked != null) {
                waiting = parked;
                parked = null;
                frames = drain();
            }
        }
        if (waiting != null) {
            waiting.accept(frames);
        }
    }

    /**
     * A poll: answered at once with what is queued, or parked until a frame comes or the caller
     * answers it empty on timeout. A poll that replaces a parked one answers the old one empty.
     */
    void poll(Consumer<List<String>> answer) {
        Consumer<List<String>> replaced;
        List<String> ready = null;
        synchronized (this) {
            lastPollNanos = System.nanoTime();
            replaced = parked;
            parked = null;
            if (!queue.isEmpty() || closed) {
                ready = drain();
            } else {
                parked = answer;
                parkedAtNanos = lastPollNanos;
            }
        }
        if (replaced != null) {
            replaced.accept(List.of());
        }
        if (ready != null) {
            answer.accept(ready);
        }
    }

    /** Takes everything queued now (the answer to {@code /lp/open}). */
    synchronized List<String> takeQueued() {
        lastPollNanos = System.nanoTime();
        return drain();
    }

    /** Answers a poll parked for {@code maxNanos} or more with nothing; true if the session has expired. */
    boolean tick(long now, long maxPollNanos, long ttlNanos) {
        Consumer<List<String>> timedOut = null;
        boolean expired;
        synchronized (this) {
            if (parked != null && now - parkedAtNanos >= maxPollNanos) {
                timedOut = parked;
                parked = null;
                lastPollNanos = now;
            }
            expired = closed || (parked == null && now - lastPollNanos > ttlNanos);
        }
        if (timedOut != null) {
            timedOut.accept(List.of());
        }
        return expired;
    }

    synchronized boolean isClosed() {
        return closed;
    }

    private List<String> drain() {
        List<String> out = new ArrayList<>(queue);
        queue.clear();
        return out;
    }

    /** Ends the session; a parked poll gets the frames still queued (e.g. the error that explains why). */
    @Override
    public void close(int code, String reason) {
        Consumer<List<String>> waiting;
        List<String> frames = null;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            waiting = parked;
            parked = null;
            if (waiting != null) {
                frames = drain();
            }
        }
        if (waiting != null) {
            waiting.accept(frames);
        }
    }

    @Override
    public String kind() {
        return "lp";
    }

    @Override
    public boolean needsHeartbeat() {
        return false;
    }

    @Override
    public String role() {
        return "visitor";
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

package dev.kefu.relay.queue;

import dev.kefu.relay.store.AccountStore;
import dev.kefu.relay.store.AgentRecord;
import dev.kefu.relay.store.ConvChange;
import dev.kefu.relay.store.Conversation;
import dev.kefu.relay.store.MessageStore;
import dev.kefu.relay.store.SiteRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The queue of each site: gives waiting conversations to agents (round-robin or least-busy, up to
 * each agent's capacity; manual sites leave them to {@code accept}), tells waiting visitors their
 * place and an estimated wait, notices when a site can no longer answer, and closes idle
 * conversations. All of it runs on one thread, so two runs never hand out the same agent slot;
 * any change anywhere just asks for a run ({@link #poke}), and bursts of pokes coalesce.
 */
public final class Assigner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Assigner.class);
    /** Assumed length of a chat when the site has no closed chats yet. */
    static final long DEFAULT_HANDLE_MS = 180_000;
    /** No estimate goes below this per visitor ahead: a chat rarely frees an agent sooner. */
    static final long MIN_HANDLE_MS = 30_000;

    private final MessageStore store;
    private final AccountStore accounts;
    private final Desk desk;
    private final Clock clock;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kefu-assigner");
        t.setDaemon(true);
        return t;
    });
    /** Least time between the starts of two runs. */
    static final long MIN_RUN_GAP_MS = 25;
    private final AtomicBoolean pending = new AtomicBoolean();
    private final long tickMs;
    private volatile long lastRunNanos = System.nanoTime() - TimeUnit.DAYS.toNanos(1);
    private long lastCloseIdleNanos = System.nanoTime() - TimeUnit.DAYS.toNanos(1);
    private final Map<String, String> lastAssigned = new HashMap<>();
    private final Map<String, ServiceState> lastService = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Integer>> lastPositions = new HashMap<>();
    /** Per site, on the assigner thread only. */
    private final Map<String, MeanHandle> meanHandle = new HashMap<>();
    static final long MEAN_HANDLE_TTL_MS = 10_000;

    /** @param tickMs how often to re-check without a poke (business hours, auto-close) */
    public Assigner(MessageStore store, AccountStore accounts, Desk desk, Clock clock, long tickMs) {
        this.store = store;
        this.accounts = accounts;
        this.desk = desk;
        this.clock = clock;
        this.tickMs = tickMs;
        thread.scheduleWithFixedDelay(this::poke, tickMs, tickMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Something changed (a conversation, an agent, a site): run soon. Runs start at least
     * {@link #MIN_RUN_GAP_MS} apart, so a burst of changes costs one pass over the queue, not one
     * per change.
     */
    public void poke() {
        if (thread.isShutdown()) {
            return; // closing: nothing left to assign
        }
        if (pending.compareAndSet(false, true)) {
            long sinceLast = System.nanoTime() - lastRunNanos;
            long delayNanos = Math.max(0, TimeUnit.MILLISECONDS.toNanos(MIN_RUN_GAP_MS) - sinceLast);
            try {
                thread.schedule(this::run, delayNanos, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                pending.set(false); // closed meanwhile
            }
        }
    }

    /** Whether {@code site} can answer now. Cheap; callable from any thread. */
    public ServiceState service(SiteRecord site) {
        ServiceState state;
        if (!BusinessHours.isOpen(site.businessHoursJson(), clock.instant())) {
            state = new ServiceState(false, ServiceState.CLOSED);
        } else {
            state = desk.availableAgents(site.key()).isEmpty() ? new ServiceState(false, ServiceState.NO_AGENTS)
                    : ServiceState.ONLINE;
        }
        // Visitors are told this at hello: until a run has seen the site, later runs tell them changes
        // against it (else a visitor told "no agents" before the first run after a start would never
        // hear that the first agent arrived).
        lastService.putIfAbsent(site.key(), state);
        return state;
    }

    private void run() {
        pending.set(false);
        long started = System.nanoTime();
        lastRunNanos = started;
        // Idle conversations are found by scanning every live one: once per tick is often enough.
        boolean closeIdle = started - lastCloseIdleNanos >= TimeUnit.MILLISECONDS.toNanos(tickMs);
        if (closeIdle) {
            lastCloseIdleNanos = started;
        }
        try {
            Map<String, Integer> open = new HashMap<>(store.openCounts());
            for (SiteRecord site : accounts.sites()) {
                if (closeIdle) {
                    closeIdle(site);
                }
                List<Conversation> waiting = store.waiting(site.key());
                if (site.autoAssigns()) {
                    waiting = assign(site, waiting, open);
                }
                tellPositions(site, waiting);
                ServiceState now = service(site);
                ServiceState before = lastService.put(site.key(), now);
                if (before != null && !before.equals(now)) {
                    desk.serviceChanged(site.key(), now);
                }
            }
        } catch (RuntimeException e) {
            if (thread.isShutdown()) {
                log.debug("assignment run cut short by shutdown: {}", e.toString());
            } else {
                log.error("assignment run failed", e);
            }
        }
    }

    private void closeIdle(SiteRecord site) {
        if (site.autoCloseSec() <= 0) {
            return;
        }
        for (Conversation c : store.idleSince(site.key(), clock.millis() - site.autoCloseSec() * 1000L)) {
            ConvChange r = store.close(c.id(), any -> true).join();
            if (!r.isRefused() && r.changed()) {
                log.info("closed idle conversation {} of site {}", c.id(), site.key());
                desk.conversationChanged(r.conversation());
            }
        }
    }

    /** Gives waiting conversations to agents with room, in order; returns those still waiting. */
    private List<Conversation> assign(SiteRecord site, List<Conversation> waiting, Map<String, Integer> open) {
        if (waiting.isEmpty()) {
            return waiting;
        }
        List<AgentRecord> agents = desk.availableAgents(site.key()).stream()
                .sorted(Comparator.comparing(AgentRecord::id)).toList();
        List<Conversation> left = new ArrayList<>();
        for (int i = 0; i < waiting.size(); i++) {
            Conversation conv = waiting.get(i);
            AgentRecord pick = pick(site, agents, open);
            if (pick == null) {
                left.addAll(waiting.subList(i, waiting.size()));
                break; // everyone is full: the rest keep waiting, in order
            }
            ConvChange r = store.accept(conv.id(), pick.id(), any -> true).join();
            if (r.isRefused() || !r.changed()) {
                continue; // taken meanwhile by a manual accept
            }
            open.merge(pick.id(), 1, Integer::sum);
            lastAssigned.put(site.key(), pick.id());
            desk.conversationChanged(r.conversation());
        }
        return left;
    }

    /** The next agent under the site's mode with room for one more chat, or null. */
    private AgentRecord pick(SiteRecord site, List<AgentRecord> agents, Map<String, Integer> open) {
        List<AgentRecord> free = agents.stream().filter(a -> open.getOrDefault(a.id(), 0) < a.capacity()).toList();
        if (free.isEmpty()) {
            return null;
        }
        String last = lastAssigned.get(site.key());
        // round-robin order: the first agent after the last one given a chat, wrapping around
        Comparator<AgentRecord> afterLast = Comparator.comparing(a -> last != null && a.id().compareTo(last) <= 0);
        Comparator<AgentRecord> order = afterLast.thenComparing(AgentRecord::id);
        if (SiteRecord.LEAST_BUSY.equals(site.assignment())) {
            order = Comparator.<AgentRecord>comparingInt(a -> open.getOrDefault(a.id(), 0)).thenComparing(order);
        }
        return free.stream().min(order).orElse(null);
    }

    private void tellPositions(SiteRecord site, List<Conversation> waiting) {
        Map<String, Integer> previous = lastPositions.getOrDefault(site.key(), Map.of());
        Map<String, Integer> now = new HashMap<>();
        if (!waiting.isEmpty()) {
            // Each place ahead waits for one chat to end somewhere on the desk: the mean chat length
            // shared among the agents who can take chats.
            long meanHandle = meanHandleMs(site.key());
            long perVisitor = Math.max(MIN_HANDLE_MS, meanHandle > 0 ? meanHandle : DEFAULT_HANDLE_MS);
            int agents = Math.max(1, desk.availableAgents(site.key()).size());
            for (int i = 0; i < waiting.size(); i++) {
                Conversation c = waiting.get(i);
                int position = i + 1;
                now.put(c.id(), position);
                if (!Integer.valueOf(position).equals(previous.get(c.id()))) {
                    desk.queuePosition(c, position, position * perVisitor / agents / 1000);
                }
            }
        }
        lastPositions.put(site.key(), now);
    }

    /**
     * The mean length of the site's last 20 chats, read at most every {@link #MEAN_HANDLE_TTL_MS}:
     * an estimate of minutes need not follow every chat that ends, and reading it takes a scan of
     * the site's conversations, on a thread that may run 40 times a second while a queue moves.
     */
    private long meanHandleMs(String site) {
        long now = System.nanoTime();
        MeanHandle cached = meanHandle.get(site);
        if (cached == null || now - cached.readNanos() > TimeUnit.MILLISECONDS.toNanos(MEAN_HANDLE_TTL_MS)) {
            cached = new MeanHandle(store.meanHandleMs(site, 20), now);
            meanHandle.put(site, cached);
        }
        return cached.ms();
    }

    private record MeanHandle(long ms, long readNanos) {}

    /** Forgets the last position told for a conversation, so the next run tells it again (a visitor reconnected). */
    public void retell(String conversationId) {
        try {
            thread.execute(() -> lastPositions.values().forEach(m -> m.remove(conversationId)));
        } catch (RejectedExecutionException e) {
            return; // closing
        }
        poke();
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}

package dev.kefu.agent.visitors;

import dev.kefu.agent.cache.ChatCache;
import dev.kefu.protocol.Frame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Who is browsing the agent's sites right now, from the relay's {@code visitors} list and
 * {@code visitor} events. Each visitor is also written to the cache (with the pages seen while the
 * app watched) so that the visitor panel has something to show offline and after restarts.
 *
 * <p>Runs on the shared services thread, like {@code ConversationService}; public methods may be
 * called from any thread.
 */
public final class VisitorService {
    private static final Logger log = LoggerFactory.getLogger(VisitorService.class);
    public static final String ONLINE = "online";
    public static final String PAGE = "page";
    public static final String OFFLINE = "offline";
    private static final int PAGES_SHOWN = 50;

    private final ChatCache cache;
    private final Executor core;
    private final List<VisitorListener> listeners = new CopyOnWriteArrayList<>();
    // core thread only; insertion order = arrival order
    private final Map<String, Frame.VisitorPresence> online = new LinkedHashMap<>();

    public VisitorService(ChatCache cache, Executor core) {
        this.cache = cache;
        this.core = core;
    }

    public void addListener(VisitorListener listener) {
        listeners.add(listener);
    }

    public void removeListener(VisitorListener listener) {
        listeners.remove(listener);
    }

    public CompletableFuture<List<Frame.VisitorPresence>> online() {
        return onCore(() -> List.copyOf(online.values()));
    }

    public CompletableFuture<VisitorProfile> profile(String visitorId) {
        return onCore(() -> {
            Optional<dev.kefu.agent.cache.CachedVisitor> v = cache.visitor(visitorId);
            return new VisitorProfile(visitorId, v.orElse(null), online.containsKey(visitorId),
                    v.map(x -> DeviceInfo.describe(x.userAgent())).orElse(null),
                    cache.pageVisits(visitorId, PAGES_SHOWN), cache.conversationsOfVisitor(visitorId));
        });
    }

    private <T> CompletableFuture<T> onCore(java.util.function.Supplier<T> work) {
        try {
            return CompletableFuture.supplyAsync(work, core);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(e); // the session is closing
        }
    }

    /** Takes {@code visitors} and {@code visitor} frames (on the services thread). */
    public void onFrames(List<Frame> frames) {
        List<Consumer<VisitorListener>> events = new ArrayList<>();
        long now = System.currentTimeMillis();
        cache.inTransaction(() -> {
            for (Frame f : frames) {
                if (f instanceof Frame.VisitorList list) {
                    online.clear();
                    for (Frame.VisitorPresence v : list.visitors()) {
                        online.put(v.id(), v);
                        cache.upsertVisitor(v, now);
                    }
                    List<Frame.VisitorPresence> all = List.copyOf(online.values());
                    events.add(l -> l.visitorsReset(all));
                } else if (f instanceof Frame.VisitorEvent e && e.visitor() != null) {
                    Frame.VisitorPresence v = e.visitor();
                    cache.upsertVisitor(v, now);
                    if (OFFLINE.equals(e.event())) {
                        online.remove(v.id());
                    } else {
                        online.put(v.id(), v);
                    }
                    if (v.page() != null && (PAGE.equals(e.event()) || ONLINE.equals(e.event()) && v.pages() > 0)) {
                        cache.addPageVisit(v.id(), v.page().url(), v.page().title(), now);
                    }
                    events.add(l -> l.visitorChanged(e.event(), v));
                }
            }
        });
        events.forEach(this::fire);
    }

    /** The connection dropped: nobody is known to be online until the next {@code visitors} list. */
    public void connectionLost() {
        try {
            core.execute(() -> {
                if (!online.isEmpty()) {
                    online.clear();
                    fire(l -> l.visitorsReset(List.of()));
                }
            });
        } catch (RejectedExecutionException e) {
            // the session is closing
        }
    }

    private void fire(Consumer<VisitorListener> event) {
        for (VisitorListener l : listeners) {
            try {
                event.accept(l);
            } catch (RuntimeException e) {
                log.error("visitor listener failed", e);
            }
        }
    }
}

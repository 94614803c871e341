package dev.kefu.relay.tracking;

import dev.kefu.protocol.Frame;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Who is browsing right now: one entry per online visitor (any number of connections, e.g. tabs),
 * with the page it is on and how many it has seen. Held in memory: presence is rebuilt by
 * reconnecting clients after a restart. Each method returns the event agents should hear, if any.
 */
public final class VisitorTracker {
    public static final String ONLINE = "online";
    public static final String PAGE = "page";
    public static final String OFFLINE = "offline";
    private static final int MAX_TEXT = 2048;

    private final Map<String, Entry> online = new ConcurrentHashMap<>();

    /** A connection of the visitor opened; an {@code online} event if it was not online before. */
    public Optional<Frame.VisitorEvent> connected(String site, Frame.VisitorInfo info, String ua, String ip) {
        String key = key(site, info.id());
        boolean[] first = {false};
        Entry e = online.compute(key, (k, old) -> {
            if (old == null) {
                first[0] = true;
                return new Entry(site, info, ua, ip, System.currentTimeMillis(), 1);
            }
            old.connections++;
            old.info = info;
            return old;
        });
        synchronized (e) {
            return first[0] ? Optional.of(new Frame.VisitorEvent(ONLINE, e.presence())) : Optional.empty();
        }
    }

    /** A page view: the visitor's new page, as a {@code page} event. */
    public Optional<Frame.VisitorEvent> page(String site, String visitorId, Frame.PageView view) {
        Entry e = online.get(key(site, visitorId));
        if (e == null) {
            return Optional.empty();
        }
        synchronized (e) {
            e.page = new Frame.PageInfo(clip(view.url()), clip(view.title()));
            if (e.referrer == null && view.referrer() != null && !view.referrer().isEmpty()) {
                e.referrer = clip(view.referrer());
            }
            e.pages++;
            return Optional.of(new Frame.VisitorEvent(PAGE, e.presence()));
        }
    }

    /** A connection closed; an {@code offline} event when it was the visitor's last. */
    public Optional<Frame.VisitorEvent> disconnected(String site, String visitorId) {
        Entry[] gone = {null};
        online.computeIfPresent(key(site, visitorId), (k, e) -> {
            if (--e.connections > 0) {
                return e;
            }
            gone[0] = e;
            return null;
        });
        if (gone[0] == null) {
            return Optional.empty();
        }
        synchronized (gone[0]) {
            return Optional.of(new Frame.VisitorEvent(OFFLINE, gone[0].presence()));
        }
    }

    /** Everyone online on the sites {@code maySee} accepts. */
    public List<Frame.VisitorPresence> online(Predicate<String> maySee) {
        List<Frame.VisitorPresence> out = new ArrayList<>();
        for (Entry e : online.values()) {
            if (maySee.test(e.site)) {
                synchronized (e) {
                    out.add(e.presence());
                }
            }
        }
        out.sort((a, b) -> Long.compare(a.since(), b.since()));
        return out;
    }

    public Optional<Frame.VisitorPresence> find(String site, String visitorId) {
        Entry e = online.get(key(site, visitorId));
        if (e == null) {
            return Optional.empty();
        }
        synchronized (e) {
            return Optional.of(e.presence());
        }
    }

    /** The sites on which a visitor with this id is online now. */
    public List<String> sitesOf(String visitorId) {
        List<String> out = new ArrayList<>();
        for (Entry e : online.values()) {
            if (e.info.id().equals(visitorId)) {
                out.add(e.site);
            }
        }
        return out;
    }

    public int size() {
        return online.size();
    }

    private static String key(String site, String visitorId) {
        return site + "/" + visitorId;
    }

    private static String clip(String s) {
        return s == null || s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT);
    }

    private static final class Entry {
        final String site;
        final String ua;
        final String ip;
        final long since;
        volatile Frame.VisitorInfo info;
        int connections;
        Frame.PageInfo page;
        String referrer;
        int pages;

        Entry(String site, Frame.VisitorInfo info, String ua, String ip, long since, int connections) {
            this.site = site;
            this.info = info;
            this.ua = ua;
            this.ip = ip;
            this.since = since;
            this.connections = connections;
        }

        Frame.VisitorPresence presence() {
            return new Frame.VisitorPresence(info.id(), site, info.name(), info.attrs(), page, pages, since, ua, ip,
                    referrer, null);
        }
    }
}

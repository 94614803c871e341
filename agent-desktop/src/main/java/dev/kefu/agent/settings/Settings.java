package dev.kefu.agent.settings;

import dev.kefu.agent.cache.SettingsStore;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The agent's preferences, read once at start and written through to the data folder's
 * {@link SettingsStore}. {@link #preferences()} is a plain read of the current value and may be
 * called from any thread; {@link #save} writes on {@code io}.
 */
public final class Settings {
    static final String LANGUAGE = "ui.language";
    static final String SOUND = "alerts.sound";
    static final String NOTIFICATIONS = "alerts.notifications";
    static final String REALERT = "alerts.realertSeconds";
    static final String QUICK_REPLIES = "chat.quickReplies";

    private final SettingsStore store;
    private final Executor io;
    private final List<Consumer<Preferences>> listeners = new CopyOnWriteArrayList<>();
    private volatile Preferences current;
    private volatile List<String> quickReplies;

    private Settings(SettingsStore store, Executor io, Preferences current, List<String> quickReplies) {
        this.store = store;
        this.io = io;
        this.current = current;
        this.quickReplies = quickReplies;
    }

    /** Reads the stored preferences (blocking: call it off the UI thread). */
    public static Settings load(SettingsStore store, Executor io) {
        Map<String, String> all = store.all();
        Preferences d = Preferences.DEFAULTS;
        Language lang = Language.parse(all.get(LANGUAGE));
        Preferences p = new Preferences(lang == null ? d.language() : lang,
                Boolean.parseBoolean(all.getOrDefault(SOUND, String.valueOf(d.sound()))),
                Boolean.parseBoolean(all.getOrDefault(NOTIFICATIONS, String.valueOf(d.notifications()))),
                parseInt(all.get(REALERT), d.realertSeconds()));
        String replies = all.get(QUICK_REPLIES);
        return new Settings(store, io, p, replies == null ? List.of() : List.of(replies.split("\n")));
    }

    public Preferences preferences() {
        return current;
    }

    /** The agent's own quick replies; empty means "use the built-in ones of the language". */
    public List<String> quickReplies() {
        return quickReplies;
    }

    public void addListener(Consumer<Preferences> listener) {
        listeners.add(listener);
    }

    /** Takes {@code p} at once (listeners are told on the caller's thread) and writes it on the io thread. */
    public CompletableFuture<Void> save(Preferences p) {
        Preferences before = current;
        current = p;
        if (!p.equals(before)) {
            listeners.forEach(l -> l.accept(p));
        }
        Map<String, String> values = new LinkedHashMap<>();
        values.put(LANGUAGE, p.language().name().toLowerCase(java.util.Locale.ROOT));
        values.put(SOUND, String.valueOf(p.sound()));
        values.put(NOTIFICATIONS, String.valueOf(p.notifications()));
        values.put(REALERT, String.valueOf(p.realertSeconds()));
        return CompletableFuture.runAsync(() -> store.putAll(values), io);
    }

    public CompletableFuture<Void> saveQuickReplies(List<String> replies) {
        quickReplies = List.copyOf(replies);
        return CompletableFuture.runAsync(() -> store.put(QUICK_REPLIES, String.join("\n", replies)), io);
    }

    private static int parseInt(String s, int fallback) {
        try {
            return s == null ? fallback : Math.max(0, Integer.parseInt(s.trim()));
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}

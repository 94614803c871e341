package dev.kefu.agent.notify;

import dev.kefu.agent.cache.ChatMessage;
import dev.kefu.agent.cache.ContactDetails;
import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.chat.ConversationListener;
import dev.kefu.agent.settings.Preferences;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Decides when to alert: a new waiting visitor; a new left message (a conversation opened while no
 * agent was online, first seen here, also when this app learns of it at login); a visitor's message
 * in a conversation that is not in front of the agent (or when the window is not focused), and contact
 * details it left there (not right after the left message's own alert); a visitor
 * still unanswered after the re-alert period, again and again (not for left messages: that visitor
 * is not waiting on the line). Each alert plays the sound (also when the window has focus) and shows
 * a notification, as the preferences allow; the badge counts conversations nobody has yet (waiting
 * or left) plus unread messages.
 *
 * <p>Floods are tamed: at most {@link #POPUPS_PER_WINDOW} notifications per {@link #WINDOW_MS}, the rest
 * folded into one summary; the sound at most every {@link #SOUND_GAP_MS}. Messages older than
 * {@link #FRESH_MS} (history replayed at first login) do not alert.
 *
 * <p>Listens to the conversation service, so it runs on the services thread; {@link #tick()} must be
 * called there every second or so.
 */
public final class AlertService implements ConversationListener {
    static final int POPUPS_PER_WINDOW = 3;
    static final long WINDOW_MS = 5_000;
    static final long SOUND_GAP_MS = 1_500;
    static final long FRESH_MS = 5 * 60_000;
    private static final int HISTORY = 50;

    private final Supplier<Preferences> preferences;
    private final Sound sound;
    private final AlertSink sink;
    private final LongSupplier clock;
    // services thread only
    private final Map<String, Conversation> live = new HashMap<>();
    private final Map<String, Long> lastAlertAt = new HashMap<>();
    private final Deque<Long> recentPopups = new ArrayDeque<>();
    private final Deque<Alert> history = new ArrayDeque<>();
    private int heldBack;
    private long lastSoundAt = Long.MIN_VALUE / 2;
    private int badge = -1;
    private volatile String front;
    private volatile boolean focused;

    public AlertService(Supplier<Preferences> preferences, Sound sound, AlertSink sink, LongSupplier clock) {
        this.preferences = preferences;
        this.sound = sound;
        this.sink = sink;
        this.clock = clock;
    }

    /** The conversation in front of the agent (null: none) and whether the window has the focus. */
    public void setFront(String conv, boolean windowFocused) {
        this.front = conv;
        this.focused = windowFocused;
    }

    /** The latest alerts, oldest first (a copy; for the tests and a future alert list). */
    public synchronized List<Alert> recent() {
        return new ArrayList<>(history);
    }

    /** Takes the cached conversations at start, without alerting; visitors already waiting re-alert in due time. */
    public void prime(List<Conversation> cached) {
        long now = clock.getAsLong();
        for (Conversation c : cached) {
            if (c.isLive()) {
                live.put(c.id(), c);
            }
            if (c.isUnassigned()) {
                lastAlertAt.put(c.id(), now);
            }
        }
        updateBadge();
    }

    @Override
    public void conversationChanged(Conversation now, Conversation before) {
        if (now.isLive()) {
            live.put(now.id(), now);
        } else {
            live.remove(now.id());
        }
        if (now.isUnassigned() && (before == null || !before.isUnassigned())) {
            lastAlertAt.put(now.id(), clock.getAsLong());
            Alert.Kind kind = now.isWaiting() ? Alert.Kind.NEW_VISITOR : Alert.Kind.LEFT_MESSAGE;
            alert(new Alert(kind, now.id(), now.visitorLabel(), null, 0, 0));
        } else {
            if (!now.isUnassigned()) {
                lastAlertAt.remove(now.id());
            }
            if (before != null && contactLeft(now, before)) {
                alert(new Alert(Alert.Kind.CONTACT, now.id(), now.visitorLabel(), contactSummary(now.contact()), 0, 0));
            }
        }
        updateBadge();
    }

    /**
     * The visitor left contact details (or newer ones) in a live conversation that is not in front of
     * the agent; not right after the conversation's own arrival alert (a left message's form sends the
     * message, then the contact: one alert per arrival).
     */
    private boolean contactLeft(Conversation now, Conversation before) {
        if (!now.isLive() || !now.hasContact() || java.util.Objects.equals(now.contact(), before.contact())
                || (now.id().equals(front) && focused)) {
            return false;
        }
        Long alertedAt = lastAlertAt.get(now.id());
        return !(now.isUnassigned() && alertedAt != null && clock.getAsLong() - alertedAt < WINDOW_MS);
    }

    /** Name, phone and email as given, on one line; else the form's text. */
    private static String contactSummary(ContactDetails c) {
        String line = java.util.stream.Stream.of(c.name(), c.phone(), c.email()).filter(java.util.Objects::nonNull)
                .collect(java.util.stream.Collectors.joining(" · "));
        return line.isEmpty() ? c.text() : line;
    }

    /** The relay's store was restored: the live conversations are learnt again from the events that follow. */
    @Override
    public void historyReplaced() {
        live.clear();
        lastAlertAt.clear();
        updateBadge();
    }

    @Override
    public void messagesChanged(String conv, List<ChatMessage> messages, boolean isLive) {
        if (!isLive || (conv.equals(front) && focused)) {
            return;
        }
        long now = clock.getAsLong();
        ChatMessage newest = null;
        for (ChatMessage m : messages) {
            if (m.fromVisitor() && now - m.ts() < FRESH_MS) {
                newest = m;
            }
        }
        Conversation c = live.get(conv);
        Long alertedAt = lastAlertAt.get(conv);
        if (c != null && c.isUnassigned() && alertedAt != null && now - alertedAt < WINDOW_MS) {
            return; // its "new visitor waiting" or "left message" alert just went out: one alert per arrival
        }
        if (newest != null) {
            String who = c != null ? c.visitorLabel() : newest.fromName();
            alert(new Alert(Alert.Kind.MESSAGE, conv, who, newest.body(), 0, 0));
        }
    }

    /** Re-alerts for visitors still waiting, and shows a summary of held-back alerts. */
    public void tick() {
        long now = clock.getAsLong();
        int every = preferences.get().realertSeconds();
        if (every > 0) {
            for (Map.Entry<String, Long> e : new LinkedHashMap<>(lastAlertAt).entrySet()) {
                Conversation c = live.get(e.getKey());
                if (c != null && c.isWaiting() && now - e.getValue() >= every * 1000L) {
                    lastAlertAt.put(c.id(), now);
                    long waited = Math.max(0, (now - c.createdAt()) / 1000);
                    alert(new Alert(Alert.Kind.STILL_WAITING, c.id(), c.visitorLabel(), null, waited, 0));
                }
            }
        }
        if (heldBack > 0 && popupAllowed(now)) {
            Alert summary = new Alert(Alert.Kind.SUMMARY, null, null, null, 0, heldBack);
            heldBack = 0;
            popup(summary, now);
        }
    }

    private void alert(Alert a) {
        long now = clock.getAsLong();
        synchronized (this) {
            history.addLast(a);
            while (history.size() > HISTORY) {
                history.removeFirst();
            }
        }
        Preferences p = preferences.get();
        if (p.sound() && now - lastSoundAt >= SOUND_GAP_MS) {
            lastSoundAt = now;
            sound.play();
        }
        if (!p.notifications()) {
            return;
        }
        if (popupAllowed(now)) {
            popup(a, now);
        } else {
            heldBack++;
        }
    }

    private boolean popupAllowed(long now) {
        while (!recentPopups.isEmpty() && now - recentPopups.peekFirst() >= WINDOW_MS) {
            recentPopups.removeFirst();
        }
        return recentPopups.size() < POPUPS_PER_WINDOW;
    }

    private void popup(Alert a, long now) {
        recentPopups.addLast(now);
        sink.show(a);
    }

    private void updateBadge() {
        int count = 0;
        for (Conversation c : live.values()) {
            count += c.isUnassigned() ? 1 : 0;
            count += c.unread();
        }
        if (count != badge) {
            badge = count;
            sink.badge(count);
        }
    }
}

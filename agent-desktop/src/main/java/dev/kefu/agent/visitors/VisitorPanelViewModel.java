package dev.kefu.agent.visitors;

import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.chat.ConversationListener;
import dev.kefu.agent.chat.ConversationService;
import dev.kefu.agent.ui.UiThread;
import dev.kefu.protocol.Frame;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleObjectProperty;

import java.util.List;
import java.util.Objects;

/**
 * What the visitor panel shows for the open conversation's visitor, refreshed as the visitor moves;
 * its list of conversations holds the others (earlier ones, or another open one). That list is what
 * the cache holds at once, then, when the relay answers, also what the relay lists for the visitor
 * (conversations of other agents, or from before this computer was used), merged into the cache: its
 * newest page (100), then older pages on demand ({@link #loadMore}).
 */
public final class VisitorPanelViewModel {
    /** Where the list of the visitor's conversations comes from. */
    public enum Earlier {
        /** The cache's, while the relay is asked. */
        LOADING,
        /** The relay's merged with the cache's. */
        RELAY,
        /** The cache's only: the relay could not be asked (offline) or failed. */
        CACHE_ONLY
    }

    private final VisitorService visitors;
    private final ConversationService conversations;
    private final ObjectProperty<VisitorProfile> profile = new SimpleObjectProperty<>();
    private final ObjectProperty<Earlier> earlier = new SimpleObjectProperty<>(Earlier.CACHE_ONLY);
    /** The relay has older conversations of the visitor than it listed so far ({@link #loadMore}). */
    private final BooleanProperty more = new SimpleBooleanProperty();
    private final BooleanProperty loadingMore = new SimpleBooleanProperty();
    private String visitorId;
    private String shownConv;
    /** The visitor's site, as last asked of the relay; null before. FX thread. */
    private String site;
    /** The relay's cursor for the next page of the visitor's conversations; null: none. FX thread. */
    private String next;
    /** Counts requests to the relay; only the newest one's answer is taken. FX thread. */
    private long relayRequests;

    public VisitorPanelViewModel(VisitorService visitors, ConversationService conversations) {
        this.visitors = visitors;
        this.conversations = conversations;
        visitors.addListener(new VisitorListener() {
            @Override
            public void visitorChanged(String event, Frame.VisitorPresence v) {
                UiThread.run(() -> {
                    if (v.id().equals(visitorId)) {
                        reload(false);
                    }
                });
            }

            @Override
            public void visitorsReset(List<Frame.VisitorPresence> online) {
                UiThread.run(() -> reload(false));
            }
        });
        conversations.addListener(new ConversationListener() {
            @Override
            public void conversationChanged(Conversation now, Conversation before) {
                UiThread.run(() -> {
                    // while the relay's list is merged (one event per conversation it adds), one reload follows it
                    if (now.visitorId() != null && now.visitorId().equals(visitorId) && earlier.get() != Earlier.LOADING
                            && (before == null || !Objects.equals(before.status(), now.status())
                            || before.rating() != now.rating() || !Objects.equals(before.contact(), now.contact()))) {
                        reload(false);
                    }
                });
            }

            @Override
            public void historyReplaced() {
                // the relay's store was restored: the visitor's conversations are the restored relay's now
                UiThread.run(() -> reload(true));
            }
        });
    }

    /**
     * Shows {@code id}'s profile (null: nobody), seen from conversation {@code shownConv}, which the
     * list of its conversations leaves out (it is the one on screen). The list comes from the cache at
     * once and is then asked of the relay (off the FX thread).
     */
    public void show(String id, String shownConv) {
        visitorId = id;
        this.shownConv = shownConv;
        relayRequests++; // an answer for the visitor shown before is not taken
        next = null;
        more.set(false);
        loadingMore.set(false);
        if (id == null) {
            profile.set(null);
        } else {
            reload(true);
        }
    }

    /** The relay is reachable again (after a reconnect): asks it again for the shown visitor's conversations. */
    public void relayReachable() {
        if (visitorId != null) {
            reload(true);
        }
    }

    private void reload(boolean askRelay) {
        String id = visitorId;
        if (id == null) {
            return;
        }
        String shown = shownConv;
        visitors.profile(id).thenAccept(p -> UiThread.run(() -> {
            if (!id.equals(visitorId)) {
                return;
            }
            List<Conversation> others = p.conversations().stream().filter(c -> !c.id().equals(shown)).toList();
            Conversation current = p.conversations().stream().filter(c -> c.id().equals(shown)).findFirst()
                    .orElse(null);
            profile.set(new VisitorProfile(p.visitorId(), p.visitor(), p.online(), p.device(), p.pages(), others,
                    current));
            if (askRelay) {
                askRelay(id, siteOf(p, current));
            }
        }));
    }

    private void askRelay(String id, String site) {
        long request = ++relayRequests;
        this.site = site;
        earlier.set(Earlier.LOADING);
        loadingMore.set(false);
        conversations.visitorConversations(site, id, null).whenComplete((page, failure) -> UiThread.run(() -> {
            if (request != relayRequests || !id.equals(visitorId)) {
                return;
            }
            earlier.set(failure == null ? Earlier.RELAY : Earlier.CACHE_ONLY);
            if (failure == null) {
                setNext(page.next());
                reload(false); // the cache now holds the relay's list too
            }
        }));
    }

    /**
     * Asks the relay for the next (older) page of the visitor's conversations, when it has more; they
     * join the list. On failure (offline) the list stays as it is and "more" is still offered.
     */
    public void loadMore() {
        String id = visitorId;
        String cursor = next;
        if (id == null || cursor == null || loadingMore.get()) {
            return;
        }
        long request = relayRequests;
        loadingMore.set(true);
        conversations.visitorConversations(site, id, cursor).whenComplete((page, failure) -> UiThread.run(() -> {
            if (request != relayRequests || !id.equals(visitorId)) {
                return;
            }
            loadingMore.set(false);
            if (failure == null) {
                setNext(page.next());
                reload(false);
            }
        }));
    }

    private void setNext(String cursor) {
        next = cursor;
        more.set(cursor != null);
    }

    /** The visitor's site: visitor ids are per site. From the conversation on screen, else what the cache knows. */
    private static String siteOf(VisitorProfile p, Conversation current) {
        if (current != null && current.site() != null) {
            return current.site();
        }
        if (p.visitor() != null && p.visitor().site() != null) {
            return p.visitor().site();
        }
        return p.conversations().stream().map(Conversation::site).filter(Objects::nonNull).findFirst().orElse(null);
    }

    public ReadOnlyObjectProperty<VisitorProfile> profileProperty() {
        return profile;
    }

    /** The relay lists older conversations of the visitor than those shown: {@link #loadMore} fetches them. */
    public ReadOnlyBooleanProperty moreProperty() {
        return more;
    }

    /** A page of older conversations is being fetched. */
    public ReadOnlyBooleanProperty loadingMoreProperty() {
        return loadingMore;
    }

    /** Where the list of conversations comes from (the view says so when it is the cache's only). */
    public ReadOnlyObjectProperty<Earlier> earlierProperty() {
        return earlier;
    }
}

package dev.kefu.agent.chat;

import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.cache.SearchHit;
import dev.kefu.agent.ui.UiThread;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.collections.transformation.FilteredList;
import javafx.collections.transformation.SortedList;

import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

/**
 * The conversation list: tabs waiting / mine / all with their counts, the selection, and the
 * history search. Fed by {@link ConversationService} events, adapted onto the FX thread here.
 * "Waiting" holds every conversation nobody has yet ({@link Conversation#isUnassigned}): visitors in
 * the queue and messages left while no agent was online, oldest first; a left message must not hide
 * under "all" among other agents' chats and history.
 */
public final class ConversationListViewModel {
    public enum Tab { WAITING, MINE, ALL }

    private static final Comparator<Conversation> LONGEST_WAITING_FIRST = Comparator.comparingLong(Conversation::createdAt);
    private static final Comparator<Conversation> NEWEST_FIRST =
            Comparator.comparingLong(Conversation::activityTs).reversed();

    private final ConversationService service;
    private final String myId;
    private final ObservableList<Conversation> all = FXCollections.observableArrayList();
    private final FilteredList<Conversation> filtered = new FilteredList<>(all);
    private final SortedList<Conversation> shown = new SortedList<>(filtered);
    private final ObjectProperty<Tab> tab = new SimpleObjectProperty<>(Tab.WAITING);
    private final IntegerProperty waitingCount = new SimpleIntegerProperty();
    private final IntegerProperty mineCount = new SimpleIntegerProperty();
    private final IntegerProperty attentionCount = new SimpleIntegerProperty();
    private final ObjectProperty<String> selected = new SimpleObjectProperty<>();
    private final StringProperty query = new SimpleStringProperty("");
    private final ObservableList<SearchHit> hits = FXCollections.observableArrayList();

    public ConversationListViewModel(ConversationService service, String myId) {
        this.service = service;
        this.myId = myId;
        service.addListener(new ConversationListener() {
            @Override
            public void conversationChanged(Conversation now, Conversation before) {
                UiThread.run(() -> upsert(now));
            }

            @Override
            public void historyReplaced() {
                UiThread.run(() -> reload());
            }
        });
        tab.addListener((o, was, t) -> applyTab());
        query.addListener((o, was, q) -> search(q));
        applyTab();
    }

    /** Loads the cached conversations (call once, after the listener is in place). */
    public void load() {
        service.conversations().thenAccept(list -> UiThread.run(() -> {
            all.setAll(list);
            recount();
            if (tab.get() == Tab.WAITING && waitingCount.get() == 0 && !all.isEmpty()) {
                tab.set(mineCount.get() > 0 ? Tab.MINE : Tab.ALL);
            }
        }));
    }

    /**
     * After a restore of the relay's store: lists what the cache holds now (conversations the relay no
     * longer has are gone from it), and lets go of the selection if its conversation went too.
     */
    private void reload() {
        service.conversations().thenAccept(list -> UiThread.run(() -> {
            all.setAll(list);
            recount();
            String id = selected.get();
            if (id != null && indexOf(id) < 0) {
                selected.set(null);
            }
        }));
    }

    public void select(String conv) {
        if (conv != null) {
            all.stream().filter(c -> c.id().equals(conv)).findFirst().ifPresent(c -> {
                if (!predicate(tab.get()).test(c)) {
                    tab.set(tabFor(c));
                }
            });
        }
        selected.set(conv);
    }

    private void upsert(Conversation c) {
        int i = indexOf(c.id());
        if (i >= 0) {
            all.set(i, c);
        } else {
            all.add(c);
        }
        recount();
        if (c.id().equals(selected.get()) && !predicate(tab.get()).test(c)) {
            tab.set(tabFor(c)); // e.g. accepted: follow it from "waiting" to "mine"
        }
    }

    private Tab tabFor(Conversation c) {
        if (c.isUnassigned()) {
            return Tab.WAITING;
        }
        return c.isOpenWith(myId) ? Tab.MINE : Tab.ALL;
    }

    private int indexOf(String id) {
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).id().equals(id)) {
                return i;
            }
        }
        return -1;
    }

    private void recount() {
        int waiting = 0;
        int mine = 0;
        int needingAttention = 0;
        for (Conversation c : all) {
            waiting += c.isUnassigned() ? 1 : 0;
            mine += c.isOpenWith(myId) ? 1 : 0;
            needingAttention += c.isUnassigned() || (c.isLive() && c.unread() > 0) ? 1 : 0;
        }
        waitingCount.set(waiting);
        mineCount.set(mine);
        attentionCount.set(needingAttention);
    }

    private void applyTab() {
        filtered.setPredicate(predicate(tab.get()));
        shown.setComparator(tab.get() == Tab.WAITING ? LONGEST_WAITING_FIRST : NEWEST_FIRST);
    }

    private Predicate<Conversation> predicate(Tab t) {
        return switch (t) {
            case WAITING -> Conversation::isUnassigned;
            case MINE -> c -> c.isOpenWith(myId);
            case ALL -> c -> true;
        };
    }

    private void search(String q) {
        if (q == null || q.isBlank()) {
            hits.clear();
            return;
        }
        service.search(q).thenAccept((List<SearchHit> found) -> UiThread.run(() -> {
            if (q.equals(query.get())) {
                hits.setAll(found);
            }
        }));
    }

    public ObservableList<Conversation> shown() {
        return shown;
    }

    public ObjectProperty<Tab> tabProperty() {
        return tab;
    }

    public ReadOnlyIntegerProperty waitingCountProperty() {
        return waitingCount;
    }

    public ReadOnlyIntegerProperty mineCountProperty() {
        return mineCount;
    }

    /** Conversations that need the agent: waiting for someone, or live with unread messages. */
    public ReadOnlyIntegerProperty attentionCountProperty() {
        return attentionCount;
    }

    public ObjectProperty<String> selectedProperty() {
        return selected;
    }

    public StringProperty queryProperty() {
        return query;
    }

    public ObservableList<SearchHit> hits() {
        return hits;
    }

    public String myId() {
        return myId;
    }
}

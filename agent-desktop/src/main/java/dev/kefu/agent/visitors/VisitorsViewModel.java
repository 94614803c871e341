package dev.kefu.agent.visitors;

import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.chat.ConversationListener;
import dev.kefu.agent.chat.ConversationService;
import dev.kefu.agent.ui.UiThread;
import dev.kefu.protocol.Frame;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The live table of everyone browsing now, with whether they chat, and the invite command. FX thread only. */
public final class VisitorsViewModel {
    /** One row: the relay's presence, and whether the visitor has a waiting or open conversation. */
    public record Row(Frame.VisitorPresence visitor, boolean chatting) {
        public String id() {
            return visitor.id();
        }
    }

    private final VisitorService visitors;
    private final ConversationService conversations;
    private final ObservableList<Row> rows = FXCollections.observableArrayList();
    private final IntegerProperty count = new SimpleIntegerProperty();
    private final Set<String> inLiveConversation = new HashSet<>();

    public VisitorsViewModel(VisitorService visitors, ConversationService conversations) {
        this.visitors = visitors;
        this.conversations = conversations;
        visitors.addListener(new VisitorListener() {
            @Override
            public void visitorsReset(List<Frame.VisitorPresence> online) {
                UiThread.run(() -> rows.setAll(online.stream().map(VisitorsViewModel.this::row).toList()));
                UiThread.run(() -> count.set(online.size()));
            }

            @Override
            public void visitorChanged(String event, Frame.VisitorPresence v) {
                UiThread.run(() -> {
                    int i = indexOf(v.id());
                    if (VisitorService.OFFLINE.equals(event)) {
                        if (i >= 0) {
                            rows.remove(i);
                        }
                    } else if (i >= 0) {
                        rows.set(i, row(v));
                    } else {
                        rows.add(row(v));
                    }
                    count.set(rows.size());
                });
            }
        });
        conversations.addListener(new ConversationListener() {
            @Override
            public void conversationChanged(Conversation now, Conversation before) {
                UiThread.run(() -> {
                    if (now.visitorId() == null) {
                        return;
                    }
                    if (now.isLive()) {
                        inLiveConversation.add(now.visitorId());
                    } else {
                        inLiveConversation.remove(now.visitorId());
                    }
                    int i = indexOf(now.visitorId());
                    if (i >= 0) {
                        rows.set(i, row(rows.get(i).visitor()));
                    }
                });
            }

            @Override
            public void historyReplaced() {
                // the relay's store was restored: who chats is read again from the cache
                conversations.conversations().thenAccept(list -> UiThread.run(() -> {
                    inLiveConversation.clear();
                    list.stream().filter(Conversation::isLive).map(Conversation::visitorId).forEach(inLiveConversation::add);
                    rows.replaceAll(r -> row(r.visitor()));
                }));
            }
        });
    }

    public void load() {
        conversations.conversations().thenAccept(list -> UiThread.run(() -> {
            list.stream().filter(Conversation::isLive).map(Conversation::visitorId).forEach(inLiveConversation::add);
            rows.replaceAll(r -> row(r.visitor()));
        }));
        visitors.online().thenAccept(list -> UiThread.run(() -> {
            rows.setAll(list.stream().map(this::row).toList());
            count.set(rows.size());
        }));
    }

    /** Opens a conversation with {@code visitorId}, {@code text} as the first message (queued like a reply). */
    public void invite(String visitorId, String text) {
        if (text != null && !text.isBlank()) {
            conversations.invite(visitorId, text.strip());
        }
    }

    private Row row(Frame.VisitorPresence v) {
        boolean chatting = v.chatting() != null ? v.chatting() : inLiveConversation.contains(v.id());
        return new Row(v, chatting || inLiveConversation.contains(v.id()));
    }

    private int indexOf(String id) {
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i).id().equals(id)) {
                return i;
            }
        }
        return -1;
    }

    public ObservableList<Row> rows() {
        return rows;
    }

    public ReadOnlyIntegerProperty countProperty() {
        return count;
    }
}

package dev.kefu.agent.visitors;

import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.chat.ConversationListener;
import dev.kefu.agent.chat.ConversationService;
import dev.kefu.agent.ui.UiThread;
import dev.kefu.protocol.Frame;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.SimpleObjectProperty;

import java.util.List;
import java.util.Objects;

/**
 * What the visitor panel shows for the open conversation's visitor, refreshed as the visitor moves;
 * its list of conversations holds the others (earlier ones, or another open one).
 */
public final class VisitorPanelViewModel {
    private final VisitorService visitors;
    private final ObjectProperty<VisitorProfile> profile = new SimpleObjectProperty<>();
    private String visitorId;
    private String shownConv;

    public VisitorPanelViewModel(VisitorService visitors, ConversationService conversations) {
        this.visitors = visitors;
        visitors.addListener(new VisitorListener() {
            @Override
            public void visitorChanged(String event, Frame.VisitorPresence v) {
                UiThread.run(() -> {
                    if (v.id().equals(visitorId)) {
                        reload();
                    }
                });
            }

            @Override
            public void visitorsReset(List<Frame.VisitorPresence> online) {
                UiThread.run(() -> reload());
            }
        });
        conversations.addListener(new ConversationListener() {
            @Override
            public void conversationChanged(Conversation now, Conversation before) {
                UiThread.run(() -> {
                    if (now.visitorId() != null && now.visitorId().equals(visitorId)
                            && (before == null || !Objects.equals(before.status(), now.status())
                            || before.rating() != now.rating())) {
                        reload();
                    }
                });
            }
        });
    }

    /**
     * Shows {@code id}'s profile (null: nobody), seen from conversation {@code shownConv}, which the
     * list of its conversations leaves out (it is the one on screen).
     */
    public void show(String id, String shownConv) {
        visitorId = id;
        this.shownConv = shownConv;
        if (id == null) {
            profile.set(null);
        } else {
            reload();
        }
    }

    private void reload() {
        String id = visitorId;
        if (id == null) {
            return;
        }
        String shown = shownConv;
        visitors.profile(id).thenAccept(p -> UiThread.run(() -> {
            if (id.equals(visitorId)) {
                List<Conversation> others = p.conversations().stream().filter(c -> !c.id().equals(shown)).toList();
                Conversation current = p.conversations().stream().filter(c -> c.id().equals(shown)).findFirst()
                        .orElse(null);
                profile.set(new VisitorProfile(p.visitorId(), p.visitor(), p.online(), p.device(), p.pages(), others,
                        current));
            }
        }));
    }

    public ReadOnlyObjectProperty<VisitorProfile> profileProperty() {
        return profile;
    }
}

package dev.kefu.agent;

import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.chat.ChatViewModel;
import dev.kefu.agent.chat.ConversationListViewModel;
import dev.kefu.agent.chat.ConversationListener;
import dev.kefu.agent.net.ConnectionStatus;
import dev.kefu.agent.ui.UiThread;
import dev.kefu.agent.visitors.VisitorPanelViewModel;
import dev.kefu.agent.visitors.VisitorsViewModel;
import javafx.beans.binding.Bindings;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;

import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The main window's state: which screen is shown, the connection state and queued messages for the
 * status bar, and the screens' view models wired together (selecting a conversation opens it in the
 * chat and its visitor in the panel, and tells the alerts what is in front).
 */
public final class MainViewModel {
    public enum Screen { CONVERSATIONS, VISITORS }

    private final AgentSession session;
    private final ConversationListViewModel list;
    private final ChatViewModel chat;
    private final VisitorPanelViewModel panel;
    private final VisitorsViewModel visitors;
    private final ObjectProperty<Screen> screen = new SimpleObjectProperty<>(Screen.CONVERSATIONS);
    private final ObjectProperty<ConnectionStatus> connection = new SimpleObjectProperty<>(ConnectionStatus.offline());
    private final IntegerProperty queued = new SimpleIntegerProperty();
    private final BooleanProperty windowFocused = new SimpleBooleanProperty();

    /** @param quickReplies the quick replies to offer after {@code /} */
    public MainViewModel(AgentSession session, Supplier<List<String>> quickReplies) {
        this.session = session;
        String me = session.account().agentId();
        this.list = new ConversationListViewModel(session.conversations(), me);
        this.chat = new ChatViewModel(session.conversations(), me, quickReplies, new dev.kefu.agent.chat.FileAccess() {
            @Override
            public java.util.concurrent.CompletableFuture<byte[]> bytes(String key) {
                return session.fileBytes(key);
            }

            @Override
            public java.util.concurrent.CompletableFuture<String> url(String key) {
                return session.fileUrl(key);
            }
        });
        this.panel = new VisitorPanelViewModel(session.visitors(), session.conversations());
        this.visitors = new VisitorsViewModel(session.visitors(), session.conversations());

        list.selectedProperty().addListener((o, was, id) -> {
            chat.open(id);
            updateFront();
        });
        chat.conversationProperty().addListener((o, was, c) -> {
            String visitor = c == null ? null : c.visitorId();
            String before = was == null ? null : was.visitorId();
            if (c == null || was == null || !Objects.equals(visitor, before) || !c.id().equals(was.id())) {
                panel.show(visitor, c == null ? null : c.id());
            }
        });
        chat.inFrontProperty().bind(Bindings.createBooleanBinding(
                () -> screen.get() == Screen.CONVERSATIONS && windowFocused.get(), screen, windowFocused));
        screen.addListener((o, was, s) -> updateFront());
        windowFocused.addListener((o, was, f) -> updateFront());
        session.addStatusListener(s -> UiThread.run(() -> {
            boolean wasOnline = connection.get().isOnline();
            connection.set(s);
            chat.onlineProperty().set(s.isOnline());
            if (s.isOnline() && !wasOnline) {
                panel.relayReachable(); // the visitor's earlier conversations as the relay lists them now
            }
        }));
        session.conversations().addListener(new ConversationListener() {
            @Override
            public void outboxChanged(int n) {
                UiThread.run(() -> queued.set(n));
            }
        });
    }

    /** Loads what the cache holds into every screen. */
    public void load() {
        list.load();
        visitors.load();
        session.conversations().outboxSize().thenAccept(n -> UiThread.run(() -> queued.set(n)));
    }

    /** Shows conversation {@code id} (from a notification, the visitor panel, or the tray). Null: just the window. */
    public void open(String id) {
        screen.set(Screen.CONVERSATIONS);
        if (id != null) {
            list.select(id);
        }
    }

    public void reconnectNow() {
        session.reconnectNow();
    }

    private void updateFront() {
        String front = screen.get() == Screen.CONVERSATIONS ? list.selectedProperty().get() : null;
        session.alerts().setFront(front, windowFocused.get());
    }

    public ConversationListViewModel list() {
        return list;
    }

    public ChatViewModel chat() {
        return chat;
    }

    public VisitorPanelViewModel panel() {
        return panel;
    }

    public VisitorsViewModel visitors() {
        return visitors;
    }

    public ObjectProperty<Screen> screenProperty() {
        return screen;
    }

    public ReadOnlyObjectProperty<ConnectionStatus> connectionProperty() {
        return connection;
    }

    public ReadOnlyIntegerProperty queuedProperty() {
        return queued;
    }

    /** Bound by the app to the window's focus. */
    public BooleanProperty windowFocusedProperty() {
        return windowFocused;
    }

    public String agentName() {
        return session.account().agentName();
    }

    /** The conversation shown in the chat, or null. */
    public Conversation shownConversation() {
        return chat.conversationProperty().get();
    }
}

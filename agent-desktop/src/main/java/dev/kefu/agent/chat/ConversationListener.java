package dev.kefu.agent.chat;

import dev.kefu.agent.cache.ChatMessage;
import dev.kefu.agent.cache.Conversation;

import java.util.List;

/**
 * What {@link ConversationService} tells its listeners, always after the cache committed the change
 * and always on the service's own thread: adapt to the UI thread before touching the screen.
 */
public interface ConversationListener {

    /**
     * The relay's store was restored from a backup: the cache forgot every conversation and message it
     * held (except own messages and notes not yet acknowledged, and their conversations) and takes the
     * relay's history again, as told by the events that follow. Whatever a listener shows or counts
     * from earlier events is stale: read it again from the service.
     */
    default void historyReplaced() { }

    /** A conversation appeared or changed; {@code before} is null when it is new to the cache. */
    default void conversationChanged(Conversation now, Conversation before) { }

    /**
     * Messages were added or changed (acked, read, failed). {@code live} is true for what just
     * arrived or was just written, false for state changes of older messages.
     */
    default void messagesChanged(String conv, List<ChatMessage> messages, boolean live) { }

    /** Older messages came in from the relay ({@code sync before=}); {@code more}: still older ones exist. */
    default void historyLoaded(String conv, List<ChatMessage> older, boolean more) { }

    /** The visitor's draft as typed so far; empty once sent or cleared. Never stored. */
    default void draftChanged(String conv, String draft) { }

    /** The number of own messages waiting for the relay's ack. */
    default void outboxChanged(int queued) { }

    /**
     * An own file's upload progressed: {@code sent} of {@code total} bytes; both -1 when it stopped
     * and waits to be retried after the next reconnect.
     */
    default void uploadProgress(String conv, String cid, long sent, long total) { }

    /** The relay refused an operation ({@code code} is the wire error code); {@code conv} may be null. */
    default void refused(String conv, String code, String message) { }
}

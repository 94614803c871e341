package dev.kefu.agent.chat;

import dev.kefu.agent.cache.Conversation;

import java.util.List;

/**
 * A visitor's conversations after a page of the relay's list was merged into the cache
 * ({@link ConversationService#visitorConversations(String, String, String)}).
 *
 * @param conversations every conversation of the visitor the cache holds now, newest first
 * @param next          the cursor of the relay's next (older) page; null when the relay has no more
 */
public record VisitorHistory(List<Conversation> conversations, String next) {
    public boolean more() {
        return next != null;
    }
}

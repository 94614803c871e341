package dev.kefu.agent.chat;

import dev.kefu.agent.cache.ChatMessage;

import java.util.List;

/**
 * A page of older messages from the cache ({@link ConversationService#older}), and what happens about
 * the ones just below it that the cache lacks (the start of a conversation never fetched, or a gap in
 * the middle of one, e.g. messages sent while this app was away in a conversation closed meanwhile).
 *
 * @param messages the cached messages just below the asked seq, none missing between them, oldest
 *                 first, then the notes among them; may be empty
 * @param relay    whether the messages below {@code messages} are on their way from the relay
 */
public record OlderPage(List<ChatMessage> messages, Relay relay) {
    public enum Relay {
        /** Nothing missing below: the page is full, or reaches the first message. */
        NOT_NEEDED,
        /** Asked of the relay ({@code sync before=}): they arrive through {@link ConversationListener#historyLoaded}. */
        ASKED,
        /** Missing, and the relay cannot be asked now (offline): ask again once online. */
        UNREACHABLE
    }
}

package dev.kefu.relay.store;

/**
 * A closed conversation with the time of its latest change: its close or its rating, whichever came
 * last (epoch ms, the relay's clock).
 */
public record ClosedConversation(Conversation conversation, long changedAt) {}

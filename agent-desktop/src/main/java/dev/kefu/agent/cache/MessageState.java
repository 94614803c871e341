package dev.kefu.agent.cache;

/** Where a message stands, as the bubble shows it. */
public enum MessageState {
    /** Written by this agent, in the outbox, not acked by the relay yet. */
    PENDING,
    /** Stored by the relay (acked, or received). */
    SENT,
    /** An agent's message the visitor has read. */
    READ,
    /** Refused by the relay (e.g. the conversation was closed); not retried. */
    FAILED
}

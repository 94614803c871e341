package dev.kefu.relay.store;

import dev.kefu.protocol.ConvStatus;

/**
 * A stored conversation. {@code agentId} is null while it waits; {@code lastSeq} is the seq of its
 * newest message (0 before the first); times are epoch milliseconds; {@code closedAt} is null
 * unless closed.
 */
public record Conversation(String id, String site, String visitorId, String agentId, String status,
                           long lastSeq, long createdAt, long updatedAt, Long closedAt) {

    public boolean isClosed() {
        return ConvStatus.CLOSED.equals(status);
    }

    public boolean isLive() {
        return !isClosed();
    }
}

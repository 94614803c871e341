package dev.kefu.relay.store;

import dev.kefu.protocol.ConvStatus;

/**
 * A stored conversation. {@code agentId} is null until an agent takes it; {@code lastSeq} is the
 * seq of its newest message (0 before the first); times are epoch milliseconds and null when the
 * event has not happened; {@code contactJson} holds details left with an offline message;
 * {@code rating} is 1..5 once the visitor rated it.
 */
public record Conversation(String id, String site, String visitorId, String agentId, String status,
                           long lastSeq, long createdAt, long updatedAt, Long closedAt, Long acceptedAt,
                           Long firstResponseAt, String contactJson, Integer rating, String ratingComment) {

    public Conversation(String id, String site, String visitorId, String agentId, String status, long lastSeq,
                        long createdAt, long updatedAt, Long closedAt) {
        this(id, site, visitorId, agentId, status, lastSeq, createdAt, updatedAt, closedAt, null, null, null, null, null);
    }

    public boolean isClosed() {
        return ConvStatus.CLOSED.equals(status);
    }

    public boolean isLive() {
        return !isClosed();
    }

    /** Waiting for an agent: in the queue, or left as an offline message. */
    public boolean isUnassigned() {
        return ConvStatus.WAITING.equals(status) || ConvStatus.OFFLINE.equals(status);
    }

    Conversation withStatus(String newStatus, String newAgent, long now) {
        return new Conversation(id, site, visitorId, newAgent, newStatus, lastSeq, createdAt, now,
                ConvStatus.CLOSED.equals(newStatus) ? Long.valueOf(now) : closedAt,
                acceptedAt == null && newAgent != null ? Long.valueOf(now) : acceptedAt,
                firstResponseAt, contactJson, rating, ratingComment);
    }

    Conversation withLastSeq(long seq, long now, Long firstResponse) {
        return new Conversation(id, site, visitorId, agentId, status, seq, createdAt, now, closedAt, acceptedAt,
                firstResponse, contactJson, rating, ratingComment);
    }

    Conversation withContact(String json, long now) {
        return new Conversation(id, site, visitorId, agentId, status, lastSeq, createdAt, now, closedAt, acceptedAt,
                firstResponseAt, json, rating, ratingComment);
    }

    Conversation withVisitor(String newVisitorId) {
        return new Conversation(id, site, newVisitorId, agentId, status, lastSeq, createdAt, updatedAt, closedAt,
                acceptedAt, firstResponseAt, contactJson, rating, ratingComment);
    }

    Conversation withRating(int score, String comment, long now) {
        return new Conversation(id, site, visitorId, agentId, status, lastSeq, createdAt, now, closedAt, acceptedAt,
                firstResponseAt, contactJson, score, comment);
    }
}

package dev.kefu.relay.store;

/**
 * A canned response. Shared ones have {@code agentId} null and belong to {@code site} (null = every
 * site); personal ones belong to {@code agentId}. {@code imageKey} is an uploaded file's key or null.
 */
public record QuickReplyRecord(String id, String site, String agentId, String shortcut, String text, String imageKey,
                               long createdAt, long updatedAt) {

    public boolean isShared() {
        return agentId == null;
    }
}

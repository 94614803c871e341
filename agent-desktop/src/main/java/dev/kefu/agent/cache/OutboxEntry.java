package dev.kefu.agent.cache;

/** A frame waiting for its ack: {@code frameJson} is resent as is (same cid) after every welcome. */
public record OutboxEntry(String cid, String frameJson, long createdAt) {}

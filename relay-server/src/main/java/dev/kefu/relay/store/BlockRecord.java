package dev.kefu.relay.store;

/** A block on a site: by visitor id, by IP address, or both (either matching blocks). */
public record BlockRecord(String id, String site, String visitorId, String ip, String reason, String byAgent,
                          long createdAt) {}

package dev.kefu.relay.store;

/** A visitor as remembered across visits; {@code attrsJson} is a JSON object or null. */
public record VisitorRecord(String site, String id, String name, String email, String attrsJson,
                            String userId, long seenAt) {}

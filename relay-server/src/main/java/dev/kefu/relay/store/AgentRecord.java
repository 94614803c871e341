package dev.kefu.relay.store;

import java.util.List;

/**
 * A support agent. {@code passwordHash} is a slow salted hash (see {@code PasswordHasher});
 * {@code sites} lists the site keys the agent serves, or is null for every site; {@code capacity}
 * is the most open conversations automatic assignment gives it.
 */
public record AgentRecord(String id, String username, String displayName, String passwordHash, boolean admin,
                          boolean disabled, List<String> sites, long createdAt, int capacity) {

    public static final int DEFAULT_CAPACITY = 5;

    public AgentRecord(String id, String username, String displayName, String passwordHash, boolean admin,
                       boolean disabled, List<String> sites, long createdAt) {
        this(id, username, displayName, passwordHash, admin, disabled, sites, createdAt, DEFAULT_CAPACITY);
    }

    public boolean maySee(String site) {
        return sites == null || sites.contains(site);
    }

    public String shownName() {
        return displayName != null ? displayName : username;
    }
}

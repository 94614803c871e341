package dev.kefu.relay.store;

import dev.kefu.protocol.Role;

/**
 * Who wrote a message. Visitor ids are chosen by clients and only unique within a site, so a
 * visitor's {@link #key()} includes its site; an agent's is its id.
 */
public record Sender(String role, String id, String name, String site) {

    /** The stable identity under which {@code cid}s are unique. */
    public String key() {
        return Role.VISITOR.equals(role) ? "visitor:" + site + "/" + id : role + ":" + id;
    }

    public boolean isAgent() {
        return Role.AGENT.equals(role);
    }
}

package dev.kefu.agent.login;

import dev.kefu.agent.net.ServerAddress;

/**
 * A logged-in agent: where, who, and the token that opens WebSocket sessions.
 *
 * @param expiresAt epoch ms after which the relay refuses the token; 0 when unknown
 * @param admin     the relay's administrator flag (admins still see recalled messages' originals)
 */
public record AgentAccount(ServerAddress server, String username, String agentId, String agentName, String token,
                           long expiresAt, boolean admin) {

    /** Not an admin. */
    public AgentAccount(ServerAddress server, String username, String agentId, String agentName, String token,
                        long expiresAt) {
        this(server, username, agentId, agentName, token, expiresAt, false);
    }

    public boolean expired(long nowMs) {
        return expiresAt > 0 && nowMs >= expiresAt;
    }

    @Override
    public String toString() {
        return "AgentAccount[" + username + "@" + server + ", id " + agentId + "]"; // never the token
    }
}

package dev.kefu.agent.net;

import java.time.Instant;

/**
 * One snapshot of the connection.
 *
 * @param state       online, reconnecting or offline
 * @param failures    failed attempts since the last welcome (0 when online)
 * @param nextAttempt when the next attempt starts; null when none is planned (online, or stopped)
 * @param reason      why the relay refused the session for good (an error code such as
 *                    {@code bad_token}); null otherwise. With a reason, no retry is planned.
 */
public record ConnectionStatus(ConnectionState state, int failures, Instant nextAttempt, String reason) {

    public static ConnectionStatus offline() {
        return new ConnectionStatus(ConnectionState.OFFLINE, 0, null, null);
    }

    public boolean isOnline() {
        return state == ConnectionState.ONLINE;
    }

    /** Whether the relay rejected the token: the agent has to log in again. */
    public boolean needsLogin() {
        return "bad_token".equals(reason);
    }
}

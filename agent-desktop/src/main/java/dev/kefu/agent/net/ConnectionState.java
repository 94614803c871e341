package dev.kefu.agent.net;

/** What the agent sees in the status bar. */
public enum ConnectionState {
    /** Welcomed by the relay: messages go out now. */
    ONLINE,
    /** The connection dropped or is being opened; retries are under way. */
    RECONNECTING,
    /**
     * Not connected: several attempts in a row failed (retries continue, spaced out), or the relay
     * refused the session for good ({@link ConnectionStatus#reason()} says why), or the app stopped.
     */
    OFFLINE
}

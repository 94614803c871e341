package dev.kefu.relay.conversation;

/**
 * One client connection as the conversation layer sees it: somewhere to put text frames, and a
 * way to end it. WebSocket and long-poll implement it. Implementations own their outbound queue
 * (never two writes in flight) and never block the caller.
 */
public interface Transport {

    /** Queues one JSON frame for the client, in call order, and writes it out. Dropped silently once closed. */
    void send(String json);

    /**
     * Like {@link #send}, but the frame may wait for {@link #flush} (or the next {@link #send}) so
     * that several frames leave in one write. Only for callers that flush when done.
     */
    default void sendMore(String json) {
        send(json);
    }

    /** Writes out frames left waiting by {@link #sendMore}. */
    default void flush() {
    }

    /** Ends the connection with a WebSocket close code (long-poll: ends the session). */
    void close(int code, String reason);

    /** {@code "ws"} or {@code "lp"}. */
    String kind();

    /** Whether the relay must send JSON pings and watch for silence (WebSocket only). */
    boolean needsHeartbeat();

    /** The role this endpoint serves ({@code visitor} or {@code agent}). */
    String role();

    /** The {@code Origin} header of the opening request, or null. */
    String origin();

    String remoteAddress();

    String userAgent();
}

package dev.kefu.loadtest.client;

/**
 * One connection of a simulated client to the relay, whatever carries it (WebSocket, long-poll,
 * Socket.IO). Sends never block: frames queue and leave in order. Once closed or aborted a link
 * stays dead; the client makes a new one.
 */
public interface Link {
    /** Queues one JSON frame. Ignored once the link is closed. */
    void send(String json);

    /** Drops the connection at once, without a goodbye (as a crashing or vanishing client would). */
    void abort();

    /** {@code ws}, {@code lp} or {@code sio}. */
    String kind();
}

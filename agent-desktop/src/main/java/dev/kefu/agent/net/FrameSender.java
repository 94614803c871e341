package dev.kefu.agent.net;

import dev.kefu.protocol.Frame;

/** What services need of the connection: send a frame if the relay can take it now. */
public interface FrameSender {

    /**
     * Queues {@code frame} for the relay. Returns false, sending nothing, while the connection is
     * not welcomed; callers that must not lose the frame keep it in the outbox.
     */
    boolean send(Frame frame);

    boolean isOnline();
}

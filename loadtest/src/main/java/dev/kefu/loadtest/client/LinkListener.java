package dev.kefu.loadtest.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a {@link Link} reports to its client. Called on network threads (a long-poll link may call
 * from two at once: a poll answer and a send answer), so implementations lock and must not block.
 * A link calls {@link #onClosed} at most once.
 */
public interface LinkListener {
    /** One frame from the relay, already parsed. */
    void onFrame(Link link, JsonNode frame);

    /** The relay showed it is alive without sending a frame (an empty long-poll answer). */
    void onHeard(Link link);

    /** The connection ended or could not be made; {@code why} is for logs. */
    void onClosed(Link link, String why);
}

package dev.kefu.agent.net;

import dev.kefu.protocol.Frame;

import java.io.IOException;
import java.util.List;

/**
 * The relay's list of one visitor's conversations ({@code GET /api/visitors/{site}/{visitorId}/conversations}),
 * whichever agent held them and whether or not this app ever saw them, a page at a time. Blocking;
 * never on the UI or services thread.
 */
public interface VisitorConversations {
    /**
     * A page of the visitor's conversations on {@code site}, newest first (the relay sends at most 100):
     * the newest when {@code before} is null, else those older than conversation {@code before} (the
     * last one of the previous page).
     */
    Page of(String site, String visitorId, String before) throws IOException;

    /**
     * @param more older conversations remain (ask again with the last one's id); always false from a
     *             relay that cannot page (it sends no {@code more}, and ignores {@code before})
     */
    record Page(List<Frame.ConvInfo> conversations, boolean more) {
        public Page {
            conversations = List.copyOf(conversations);
        }
    }
}

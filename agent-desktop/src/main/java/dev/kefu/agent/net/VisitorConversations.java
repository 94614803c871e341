package dev.kefu.agent.net;

import dev.kefu.protocol.Frame;

import java.io.IOException;
import java.util.List;

/**
 * The relay's list of one visitor's conversations ({@code GET /api/visitors/{site}/{visitorId}/conversations}),
 * whichever agent held them and whether or not this app ever saw them. Blocking; never on the UI or
 * services thread.
 */
public interface VisitorConversations {
    /** The visitor's conversations on {@code site}, newest first (the relay sends at most 100). */
    List<Frame.ConvInfo> of(String site, String visitorId) throws IOException;
}

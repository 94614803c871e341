package dev.kefu.agent.net;

import dev.kefu.protocol.Frame;

import java.io.IOException;
import java.util.List;

/**
 * The relay's answer to "which conversations were closed or rated since T" ({@code GET
 * /api/conversations?changedSince=}): what an app that was away missed about conversations that are
 * no longer live. Blocking; never on the UI or services thread.
 */
public interface ClosedChanges {
    /**
     * One page, oldest change first. {@code lastChangedAt} is the relay time of the last item's change
     * (ask from there for the next page while {@code more}); {@code changedSince} when empty.
     */
    record Page(List<Frame.ConvInfo> conversations, long lastChangedAt, boolean more) {}

    /**
     * Conversations closed or rated at or after {@code changedSince} (epoch ms, the relay's clock), at
     * most {@code limit}; null when the relay has no such endpoint (an older relay).
     */
    Page since(long changedSince, int limit) throws IOException;
}

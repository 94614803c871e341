package dev.kefu.relay.store;

import dev.kefu.protocol.ErrorCode;

/** What a recall did: a refusal, or the recalled message (already recalled earlier when {@code changed} is false). */
public record RecallResult(ErrorCode refusal, String detail, StoredMessage message, Conversation conversation,
                           boolean changed) {

    static RecallResult refused(ErrorCode code, String detail) {
        return new RecallResult(code, detail, null, null, false);
    }

    public boolean isRefused() {
        return refusal != null;
    }
}

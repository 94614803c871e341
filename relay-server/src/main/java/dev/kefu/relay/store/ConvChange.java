package dev.kefu.relay.store;

import dev.kefu.protocol.ErrorCode;

/**
 * What an accept, transfer or close did: either {@code refusal} is set, or {@code conversation} is
 * its state afterwards and {@code changed} tells whether anything changed.
 */
public record ConvChange(ErrorCode refusal, String detail, Conversation conversation, boolean changed) {

    static ConvChange refused(ErrorCode code, String detail) {
        return new ConvChange(code, detail, null, false);
    }

    public boolean isRefused() {
        return refusal != null;
    }
}

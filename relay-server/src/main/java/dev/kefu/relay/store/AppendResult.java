package dev.kefu.relay.store;

import dev.kefu.protocol.ErrorCode;

/**
 * What appending a message did. Either {@code refusal} is set (nothing stored), or {@code message}
 * is the stored message: new, or, when {@code duplicate}, the one stored earlier under the same
 * sender and cid. {@code conversation} is the conversation after the append; {@code conversationChanged}
 * tells whether it was created or changed state (agents must hear of it).
 */
public record AppendResult(ErrorCode refusal, String detail, StoredMessage message, boolean duplicate,
                           Conversation conversation, boolean conversationChanged) {

    static AppendResult refused(ErrorCode code, String detail) {
        return new AppendResult(code, detail, null, false, null, false);
    }

    public boolean isRefused() {
        return refusal != null;
    }
}

package dev.kefu.relay.store;

import dev.kefu.protocol.ErrorCode;

import java.util.List;

/**
 * What appending a message did. Either {@code refusal} is set (nothing stored), or {@code message}
 * is the stored message: new, or, when {@code duplicate}, the one stored earlier under the same
 * sender and cid. {@code conversation} is the conversation after the append; {@code conversationChanged}
 * tells whether it was created or changed state (agents must hear of it); {@code followUps} are
 * messages the relay added after it (the site's welcome on a new conversation).
 */
public record AppendResult(ErrorCode refusal, String detail, StoredMessage message, boolean duplicate,
                           Conversation conversation, boolean conversationChanged, List<StoredMessage> followUps) {

    static AppendResult refused(ErrorCode code, String detail) {
        return new AppendResult(code, detail, null, false, null, false, List.of());
    }

    static AppendResult duplicate(StoredMessage earlier, Conversation conv) {
        return new AppendResult(null, null, earlier, true, conv, false, List.of());
    }

    public boolean isRefused() {
        return refusal != null;
    }
}

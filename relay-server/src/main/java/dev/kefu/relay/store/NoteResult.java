package dev.kefu.relay.store;

import dev.kefu.protocol.ErrorCode;

/** What adding a note did: a refusal, or the note (an earlier one when {@code duplicate}) and its conversation. */
public record NoteResult(ErrorCode refusal, String detail, StoredNote note, boolean duplicate, Conversation conversation) {

    static NoteResult refused(ErrorCode code, String detail) {
        return new NoteResult(code, detail, null, false, null);
    }

    public boolean isRefused() {
        return refusal != null;
    }
}

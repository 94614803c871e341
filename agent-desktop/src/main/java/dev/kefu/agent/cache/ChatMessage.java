package dev.kefu.agent.cache;

import dev.kefu.protocol.MessageKind;
import dev.kefu.protocol.Role;

/**
 * One message as cached.
 *
 * @param localId  the cache's row id: stable from the moment the message is written (also while pending); notes
 *                 and messages are counted apart, so only {@code (isNote, localId)} is unique
 * @param conv     conversation id; null only for an invitation not yet acked
 * @param seq      the relay's seq; 0 while pending or failed
 * @param fromRole {@code visitor} or {@code agent}
 * @param fileName name of an attached file; null for text
 * @param ts       epoch ms: the relay's time once stored, the local time while pending
 * @param error    the relay's error code when {@link MessageState#FAILED}; null otherwise
 * @param fileKey  storage key of an image or file; null for text, and while its upload is pending
 * @param fileMime content type of the file; null for text
 * @param fileSize bytes of the file; 0 for text
 * @param recalled the sender took the message back: show a marker; {@code body} and the file are then
 *                 null unless this agent is an admin (the relay keeps the original for admins only)
 * @param nseq     for an internal note ({@link #isNote()}): its number among the conversation's notes,
 *                 0 while pending; 0 for messages
 * @param afterSeq for a note: the message seq it follows (where it is shown); 0 for messages
 */
public record ChatMessage(long localId, String conv, long seq, String cid, String fromRole, String fromId,
                          String fromName, String kind, String body, String fileName, long ts, MessageState state,
                          String error, String fileKey, String fileMime, long fileSize, boolean recalled,
                          long nseq, long afterSeq) {

    /** A message (not a note), not recalled. */
    public ChatMessage(long localId, String conv, long seq, String cid, String fromRole, String fromId, String fromName,
                       String kind, String body, String fileName, long ts, MessageState state, String error,
                       String fileKey, String fileMime, long fileSize) {
        this(localId, conv, seq, cid, fromRole, fromId, fromName, kind, body, fileName, ts, state, error, fileKey,
                fileMime, fileSize, false, 0, 0);
    }

    /** A text message (or a file whose details are not known). */
    public ChatMessage(long localId, String conv, long seq, String cid, String fromRole, String fromId, String fromName,
                       String kind, String body, String fileName, long ts, MessageState state, String error) {
        this(localId, conv, seq, cid, fromRole, fromId, fromName, kind, body, fileName, ts, state, error, null, null, 0);
    }

    /**
     * An internal note: agents only, numbered apart from messages ({@link #nseq()}), shown after
     * message {@link #afterSeq()}. Its {@code localId} is a row of another table than messages'.
     */
    public boolean isNote() {
        return MessageKind.NOTE.equals(kind);
    }

    public boolean isImage() {
        return MessageKind.IMAGE.equals(kind);
    }

    public boolean hasFile() {
        return fileName != null;
    }

    public boolean fromVisitor() {
        return Role.VISITOR.equals(fromRole);
    }
}

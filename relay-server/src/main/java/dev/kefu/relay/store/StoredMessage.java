package dev.kefu.relay.store;

/**
 * A stored message. {@code fileJson} is the JSON of the file reference of an image or file message,
 * else null; {@code ts} is when the relay accepted it (epoch ms); {@code recalledAt} is when its
 * sender recalled it, else null (the body is kept for audit).
 */
public record StoredMessage(String conv, long seq, String cid, String fromRole, String fromId,
                            String fromName, String kind, String body, String fileJson, long ts, Long recalledAt) {

    public StoredMessage(String conv, long seq, String cid, String fromRole, String fromId, String fromName,
                         String kind, String body, String fileJson, long ts) {
        this(conv, seq, cid, fromRole, fromId, fromName, kind, body, fileJson, ts, null);
    }

    public boolean isRecalled() {
        return recalledAt != null;
    }
}

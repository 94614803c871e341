package dev.kefu.relay.store;

/**
 * A stored message. {@code fileJson} is the JSON of the file reference of an image or file message,
 * else null; {@code ts} is when the relay accepted it (epoch ms).
 */
public record StoredMessage(String conv, long seq, String cid, String fromRole, String fromId,
                            String fromName, String kind, String body, String fileJson, long ts) {}

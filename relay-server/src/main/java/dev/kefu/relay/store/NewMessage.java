package dev.kefu.relay.store;

/**
 * A message to append. {@code conv} may be null for a visitor: its waiting or open conversation
 * is used, or a new one opened. {@code fileJson} is null for text.
 */
public record NewMessage(Sender sender, String conv, String cid, String kind, String body,
                         String fileJson) {}

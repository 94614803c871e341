package dev.kefu.relay.store;

/**
 * A message to append. {@code conv} may be null for a visitor: its live conversation is used, or
 * a new one opened in {@code newConversationStatus} ({@code waiting}, or {@code offline} when
 * nobody can answer), followed by the site's {@code welcome} system message when there is one.
 * {@code fileJson} is null for text.
 */
public record NewMessage(Sender sender, String conv, String cid, String kind, String body, String fileJson,
                         String newConversationStatus, String welcome) {

    public NewMessage(Sender sender, String conv, String cid, String kind, String body, String fileJson) {
        this(sender, conv, cid, kind, body, fileJson, dev.kefu.protocol.ConvStatus.WAITING, null);
    }
}

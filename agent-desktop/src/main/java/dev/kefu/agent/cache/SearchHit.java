package dev.kefu.agent.cache;

/**
 * A history search's match: a cached message, or the contact details a visitor left in a conversation
 * (then {@code contactField} names the field that matched and {@code body} holds its value).
 *
 * @param visitorLabel the visitor as the list names it: the relay's name, else the contact's, else the id
 * @param seq the message's seq; 0 for a contact match
 * @param fromRole the message's sender role; null for a contact match
 * @param ts when the message was sent; for a contact match, the conversation's latest activity (epoch ms)
 * @param contactField null for a message
 */
public record SearchHit(String conv, String visitorLabel, long seq, String fromRole, String body, long ts,
                        ContactField contactField) {

    /** The contact form's fields, in the order a search reports the first one that matched. */
    public enum ContactField { EMAIL, PHONE, NAME, TEXT }

    public boolean isContact() {
        return contactField != null;
    }
}

package dev.kefu.agent.cache;

import dev.kefu.protocol.ConvStatus;

/**
 * One conversation as cached: what the relay said of it and what this app holds of it.
 *
 * @param status      {@code waiting}, {@code offline} (a left message), {@code open} or {@code closed}
 * @param agentId     the agent who has it; null while waiting or offline
 * @param lastSeq     the highest seq the relay reported or delivered
 * @param createdAt   epoch ms; for a waiting conversation, since when the visitor waits; for a left one, when the
 *                    first message was left
 * @param heldSeq     every message with seq 1..heldSeq is in the cache (the {@code resume} position)
 * @param myReadSeq   this agent has seen the visitor's messages up to here
 * @param peerReadSeq the visitor has read the agents' messages up to here
 * @param unread      visitor messages above {@code myReadSeq}
 * @param lastBody    preview of the newest message; null when there is none
 * @param lastTs      epoch ms of the newest message, 0 when there is none
 * @param rating      the visitor's rating, 1 to 5 stars; 0 when not rated (visitors rate once, after close)
 * @param ratingComment what the visitor wrote with the rating; null when nothing
 * @param contact     the contact details the visitor left (the widget's form); null when none
 */
public record Conversation(String id, String site, String status, String visitorId, String visitorName,
                           String agentId, String agentName, long lastSeq, long createdAt, long heldSeq,
                           long myReadSeq, long peerReadSeq, int unread, String lastBody, String lastFromRole,
                           long lastTs, int rating, String ratingComment, ContactDetails contact) {
    /** {@link #lastBody()} when the newest message was recalled (the list shows it in the agent's language). */
    public static final String RECALLED_PREVIEW = "[recalled]";

    /** Not rated. */
    public Conversation(String id, String site, String status, String visitorId, String visitorName,
                        String agentId, String agentName, long lastSeq, long createdAt, long heldSeq,
                        long myReadSeq, long peerReadSeq, int unread, String lastBody, String lastFromRole,
                        long lastTs) {
        this(id, site, status, visitorId, visitorName, agentId, agentName, lastSeq, createdAt, heldSeq, myReadSeq,
                peerReadSeq, unread, lastBody, lastFromRole, lastTs, 0, null, null);
    }

    /** No contact details left. */
    public Conversation(String id, String site, String status, String visitorId, String visitorName,
                        String agentId, String agentName, long lastSeq, long createdAt, long heldSeq,
                        long myReadSeq, long peerReadSeq, int unread, String lastBody, String lastFromRole,
                        long lastTs, int rating, String ratingComment) {
        this(id, site, status, visitorId, visitorName, agentId, agentName, lastSeq, createdAt, heldSeq, myReadSeq,
                peerReadSeq, unread, lastBody, lastFromRole, lastTs, rating, ratingComment, null);
    }

    /** The same conversation with {@code contact} (null: none). */
    public Conversation withContact(ContactDetails contact) {
        return new Conversation(id, site, status, visitorId, visitorName, agentId, agentName, lastSeq, createdAt,
                heldSeq, myReadSeq, peerReadSeq, unread, lastBody, lastFromRole, lastTs, rating, ratingComment, contact);
    }

    public boolean hasContact() {
        return contact != null;
    }

    public boolean isRated() {
        return rating > 0;
    }

    /** In the queue: the visitor waits, on the site now, for an agent. */
    public boolean isWaiting() {
        return ConvStatus.WAITING.equals(status);
    }

    /** A left message: written while no agent could answer; the visitor may be long gone. */
    public boolean isOffline() {
        return ConvStatus.OFFLINE.equals(status);
    }

    /**
     * Nobody has it yet and someone must: waiting or left ({@code offline}). An agent's accept or first
     * reply opens it. As the relay's {@code Conversation.isUnassigned}.
     */
    public boolean isUnassigned() {
        return isWaiting() || isOffline();
    }

    public boolean isLive() {
        return !ConvStatus.CLOSED.equals(status);
    }

    public boolean isOpenWith(String agent) {
        return ConvStatus.OPEN.equals(status) && agent != null && agent.equals(agentId);
    }

    /**
     * The visitor's name; else the name it gave in the contact form (the relay names a visitor only while
     * it is online, and one who left a message is usually gone); else a short form of its id.
     */
    public String visitorLabel() {
        if (visitorName != null && !visitorName.isBlank()) {
            return visitorName;
        }
        if (contact != null && contact.name() != null) {
            return contact.name();
        }
        if (visitorId == null) {
            return id;
        }
        return visitorId.length() > 10 ? visitorId.substring(0, 10) : visitorId;
    }

    /** Newest activity, for sorting: the last message, else creation. */
    public long activityTs() {
        return Math.max(lastTs, createdAt);
    }
}

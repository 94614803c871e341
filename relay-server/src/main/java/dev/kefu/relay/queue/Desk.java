package dev.kefu.relay.queue;

import dev.kefu.relay.store.AgentRecord;
import dev.kefu.relay.store.Conversation;

import java.util.List;

/** What the {@link Assigner} needs of the live relay: who can take chats, and whom to tell. */
public interface Desk {

    /** Agents connected now with status online who may see {@code site}. */
    List<AgentRecord> availableAgents(String site);

    /** A conversation changed (assigned by the assigner): tell everyone who may see it. */
    void conversationChanged(Conversation conversation);

    /** Tell a waiting visitor its place in the queue and an estimated wait in seconds. */
    void queuePosition(Conversation conversation, int position, long etaSec);

    /** Whether the site can answer now changed: tell its visitors. */
    void serviceChanged(String site, ServiceState state);
}

package dev.kefu.relay.store;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * Conversations and their messages: the relay's single source of truth. Writes are asynchronous
 * and their futures complete only once the write is durable (committed), in commit order; reads
 * are synchronous and must not run on a network callback thread.
 *
 * <p>Guarantees every implementation keeps: {@code seq} starts at 1 per conversation and grows by
 * exactly one; {@code (sender, cid)} stores one message however often it is appended; a refused
 * write stores nothing.
 *
 * <p>{@code mayUse} predicates run inside the write's transaction, so access checks and the write
 * are atomic; they must be cheap and must not block.
 */
public interface MessageStore extends AutoCloseable {

    /**
     * Appends a message. A visitor's message without {@code conv} goes to its waiting or open
     * conversation on the sender's site, or opens a new waiting one. An agent's message to a
     * waiting conversation makes the agent take it (status open).
     */
    CompletableFuture<AppendResult> append(NewMessage message, Predicate<Conversation> mayUse);

    /**
     * An agent's first message to a visitor: goes to the visitor's waiting or open conversation
     * (which the agent takes if waiting), or opens a new one assigned to the agent.
     */
    CompletableFuture<AppendResult> invite(Sender agent, String site, String visitorId, String cid, String body);

    /** Assigns a waiting conversation to {@code agentId}; refused if another agent holds it. */
    CompletableFuture<ConvChange> accept(String conv, String agentId, Predicate<Conversation> mayUse);

    /** Hands an open or waiting conversation to {@code toAgentId} (status open). */
    CompletableFuture<ConvChange> transfer(String conv, String toAgentId, Predicate<Conversation> mayUse);

    /** Closes a conversation; closing a closed one changes nothing. */
    CompletableFuture<ConvChange> close(String conv, Predicate<Conversation> mayUse);

    /** Records that {@code readerKey} has seen {@code conv} up to {@code seq} (never moves back). */
    CompletableFuture<Boolean> markRead(String conv, String readerKey, long seq);

    /** Records a visitor's details and last visit. */
    CompletableFuture<Void> saveVisitor(VisitorRecord visitor);

    Optional<Conversation> conversation(String id);

    /** Every waiting or open conversation, oldest first. */
    List<Conversation> liveConversations();

    /** A visitor's waiting and open conversations plus its most recent closed one, oldest first. */
    List<Conversation> visitorConversations(String site, String visitorId);

    /** Messages with seq above {@code afterSeq}, ascending, at most {@code limit}. */
    List<StoredMessage> messagesAfter(String conv, long afterSeq, int limit);

    /** The {@code limit} messages just below {@code beforeSeq}, ascending. */
    List<StoredMessage> messagesBefore(String conv, long beforeSeq, int limit);

    /** Whether the store can take writes now. */
    boolean isHealthy();

    /** Commits every queued write, then releases the store. */
    @Override
    void close();
}

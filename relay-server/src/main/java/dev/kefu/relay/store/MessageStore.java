package dev.kefu.relay.store;

import java.util.List;
import java.util.Map;
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
     * Appends a message. A visitor's message without {@code conv} goes to its live conversation on
     * the sender's site, or opens a new one (see {@link NewMessage}). An agent's message to an
     * unassigned conversation makes the agent take it (status open).
     */
    CompletableFuture<AppendResult> append(NewMessage message, Predicate<Conversation> mayUse);

    /**
     * An agent's first message to a visitor: goes to the visitor's live conversation (which the
     * agent takes if unassigned), or opens a new one assigned to the agent.
     */
    CompletableFuture<AppendResult> invite(Sender agent, String site, String visitorId, String cid, String body);

    /** An internal note by an agent (same cid rules as messages, numbered apart from them). */
    CompletableFuture<NoteResult> addNote(Sender agent, String conv, String cid, String body, Predicate<Conversation> mayUse);

    /** Assigns an unassigned conversation to {@code agentId}; refused if another agent holds it. */
    CompletableFuture<ConvChange> accept(String conv, String agentId, Predicate<Conversation> mayUse);

    /** Hands a live conversation to {@code toAgentId} (status open). */
    CompletableFuture<ConvChange> transfer(String conv, String toAgentId, Predicate<Conversation> mayUse);

    /** Closes a conversation; closing a closed one changes nothing. */
    CompletableFuture<ConvChange> close(String conv, Predicate<Conversation> mayUse);

    /** Stores contact details left with a conversation (JSON object). */
    CompletableFuture<ConvChange> setContact(String conv, String contactJson, Predicate<Conversation> mayUse);

    /** The visitor's rating of a closed conversation, once. */
    CompletableFuture<ConvChange> rate(String conv, int score, String comment, Predicate<Conversation> mayUse);

    /** The sender recalls its own message, at most {@code windowMs} after it was stored. */
    CompletableFuture<RecallResult> recall(String conv, long seq, String senderKey, long windowMs,
                                           Predicate<Conversation> mayUse);

    /** Records that {@code readerKey} has seen {@code conv} up to {@code seq} (never moves back). */
    CompletableFuture<Boolean> markRead(String conv, String readerKey, long seq);

    /** Records a visitor's details and last visit. A visitor bound to a user stays bound to it. */
    CompletableFuture<Void> saveVisitor(VisitorRecord visitor);

    /**
     * The signed-in user {@code visitorId} of {@code site} is bound to, or empty (an anonymous or
     * unknown visitor). An id is bound to the first user signed in with it, and stays so.
     */
    Optional<String> userOf(String site, String visitorId);

    /** A signed-in user's canonical visitor: the first visitor bound to it (by first visit, then id), or empty. */
    Optional<String> visitorOf(String site, String userId);

    /**
     * Signs {@code userId} in on a browser that presents {@code presentedId}, in one write (so two
     * devices of a new user cannot each become its visitor): the user's canonical visitor, made now
     * if the user is new (the presented id when it is bound to nobody, else a new random id), and
     * the presented id bound to the user when it was bound to nobody, so that later hellos presenting
     * it anonymously or for another user get none of this user's history.
     *
     * <p>When the presented id, bound to nobody until now, is bound to a user who already has another
     * canonical visitor, the presented id's conversations (live and closed) move to that visitor in
     * the same write: a chat begun anonymously goes on under the user. Their seqs, agents, messages
     * and files stay; the id's messages are then the user's visitor's for {@code cid} resends.
     */
    CompletableFuture<SignIn> signIn(String site, String presentedId, String userId);

    /**
     * {@code visitorId}: the user's canonical visitor; {@code boundNow}: the presented id was bound to
     * the user by this sign-in; {@code moved}: the conversations this sign-in moved from the presented
     * id to the user's visitor, as they are now (oldest first; empty when none moved).
     */
    record SignIn(String visitorId, boolean boundNow, List<Conversation> moved) {
        public SignIn(String visitorId, boolean boundNow) {
            this(visitorId, boundNow, List.of());
        }

        public SignIn {
            moved = List.copyOf(moved);
        }
    }

    Optional<Conversation> conversation(String id);

    /** Every conversation not closed (waiting, open, offline), oldest first. */
    List<Conversation> liveConversations();

    /** A visitor's live conversations plus its most recent closed one, oldest first. */
    List<Conversation> visitorConversations(String site, String visitorId);

    /**
     * A visitor's conversations, newest first (by creation, ties by id, newest id first), at most
     * {@code limit}: from the newest when {@code before} is null, else those that come after
     * {@code before} in that order (a page further back; {@code before} is the last one of the
     * previous page, a conversation of this visitor).
     */
    List<Conversation> visitorHistory(String site, String visitorId, Conversation before, int limit);

    /**
     * Conversations closed or rated at or after {@code sinceMs} (epoch ms), oldest change first (ties
     * by id), at most {@code limit}; only of {@code sites} unless it is null (every site).
     */
    List<ClosedConversation> closedOrRatedSince(long sinceMs, java.util.Collection<String> sites, int limit);

    /** Waiting conversations of a site, oldest first: the queue. */
    List<Conversation> waiting(String site);

    /** Open conversations per agent id. */
    Map<String, Integer> openCounts();

    /** Mean time from acceptance to close over the site's last {@code n} handled conversations, ms (0 if none). */
    long meanHandleMs(String site, int n);

    /** Live conversations of a site whose last activity is before {@code cutoffMs}. */
    List<Conversation> idleSince(String site, long cutoffMs);

    /** Messages with seq above {@code afterSeq}, ascending, at most {@code limit}. */
    List<StoredMessage> messagesAfter(String conv, long afterSeq, int limit);

    /** The {@code limit} messages just below {@code beforeSeq}, ascending. */
    List<StoredMessage> messagesBefore(String conv, long beforeSeq, int limit);

    /** Every note of a conversation, in order. */
    List<StoredNote> notes(String conv);

    /** The notes of every waiting and open conversation, by conversation, each list in nseq order. */
    Map<String, List<StoredNote>> notesOfLiveConversations();

    /** Whether the store can take writes now. */
    boolean isHealthy();

    /** Whether writes are queueing up faster than they commit (half the write queue taken). */
    default boolean isBacklogged() {
        return false;
    }

    /** Whether a backlog has cleared (the queue back under a quarter). */
    default boolean isBacklogCleared() {
        return true;
    }

    /** Runs {@code listener} after every committed batch, on the writer thread: quick, never blocking. */
    default void onBatch(Runnable listener) {
    }

    /**
     * Runs {@code listener} on the thread that completes the store's futures, once it completed a
     * batch's (and their callbacks returned): quick, never blocking. A store without such a thread
     * never calls it.
     */
    default void afterDispatch(Runnable listener) {
    }

    /** Whether the caller is the thread that completes the store's futures (see {@link #afterDispatch}). */
    default boolean onDispatchThread() {
        return false;
    }

    /** Commits every queued write, then releases the store. */
    @Override
    void close();
}

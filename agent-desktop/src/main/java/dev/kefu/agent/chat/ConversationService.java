package dev.kefu.agent.chat;

import dev.kefu.agent.cache.ChatCache;
import dev.kefu.agent.cache.ChatMessage;
import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.cache.KnownAgent;
import dev.kefu.agent.cache.OutboxEntry;
import dev.kefu.agent.cache.SearchHit;
import dev.kefu.agent.net.ClosedChanges;
import dev.kefu.agent.net.FrameSender;
import dev.kefu.agent.net.VisitorConversations;
import dev.kefu.agent.upload.UploadException;
import dev.kefu.agent.upload.UploadedFile;
import dev.kefu.agent.upload.Uploader;
import dev.kefu.protocol.ConvStatus;
import dev.kefu.protocol.ErrorCode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;
import dev.kefu.protocol.Limits;
import dev.kefu.protocol.MessageKind;
import dev.kefu.protocol.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The agent's conversations: takes the relay's frames into the {@link ChatCache} and tells
 * listeners, and turns the agent's actions into frames (own messages through the outbox, so they
 * survive a restart and are resent with the same cid after every welcome).
 *
 * <p>All of its work runs on {@code core}, one thread shared with the other services, so its state
 * needs no locks and frames are handled in arrival order. Public methods may be called from any
 * thread, the UI's included: they hand the work over and answer with a future.
 */
public final class ConversationService {
    private static final Logger log = LoggerFactory.getLogger(ConversationService.class);
    /** Messages per page when opening a conversation or scrolling back. */
    public static final int PAGE = 50;
    /** At most this many conversations are listed. */
    public static final int LIST_LIMIT = 1000;
    private static final long TYPING_EVERY_MS = 800;
    private static final long RETRY_BUSY_MS = 2000;
    /** An upload that failed on the network is retried this often while online (then after each welcome). */
    private static final int UPLOAD_RETRIES_ONLINE = 3;
    private static final long UPLOAD_RETRY_MS = 3000;
    /**
     * How long after sending a message its sender may recall it when the relay does not say
     * ({@code welcome.recallWindowMs} is absent from older relays): the relay's default. The relay
     * decides; the app only uses the window to grey out the menu and to know which recalls it may
     * have missed.
     */
    public static final long RECALL_WINDOW_MS = 120_000;
    /** Clock differences between app and relay that the recall catch-up after a reconnect allows for. */
    private static final long RECALL_CATCH_UP_SLACK_MS = 60_000;
    private static final String LAST_HEARD_META = "relay.lastHeardAt";
    /** {@link #LAST_HEARD_META} is written at most this often (typing frames alone come several times a second). */
    private static final long LAST_HEARD_WRITE_EVERY_MS = 5_000;
    /**
     * The relay time from which closes and ratings of conversations that are no longer live have yet to
     * be asked for ({@link ClosedChanges}); absent or empty once caught up. Kept so that a catch-up cut
     * short (network, restart) is asked again after the next welcome.
     */
    static final String CLOSED_CHANGES_META = "relay.closedChangesSince";
    /** Clock error and the lag of {@link #LAST_HEARD_META} that the closed-conversation catch-up allows for. */
    private static final long CLOSED_CATCH_UP_SLACK_MS = 60_000;
    /** Conversations per page of the closed-conversation catch-up. */
    static final int CLOSED_CATCH_UP_PAGE = 200;

    private final ChatCache cache;
    private final FrameSender relay;
    private final Executor core;
    private final Frame.Party me;
    private final Supplier<String> newCid;
    /** Admins keep a recalled message's original (the relay shows it to them too). */
    private final boolean admin;
    private final List<ConversationListener> listeners = new CopyOnWriteArrayList<>();
    // core thread only
    private final Map<String, Long> typingSentAt = new HashMap<>();
    private final Set<String> syncsInFlight = new HashSet<>();
    /** Per conversation, the kind of each {@code sync} awaiting its {@code msgs}, in request order: true = recall catch-up. */
    private final Map<String, java.util.ArrayDeque<Boolean>> syncKinds = new HashMap<>();
    /**
     * Own recalls sent on this connection and not yet answered, by cid, oldest first. A relay that
     * echoes cids ({@code welcome.cidEcho}) names the recall it refuses; an older one refuses with an
     * error that names no cid, which is then taken as the answer to the oldest one.
     */
    private final Map<String, Frame.Recall> recallsInFlight = new java.util.LinkedHashMap<>();
    /** The last welcome said the relay echoes the cid of a recall in its answers. Core thread only. */
    private boolean relayEchoesCid;
    private final Set<String> uploading = new HashSet<>();
    private final Map<String, Integer> uploadRetries = new HashMap<>();
    /** The relay's agent roster ({@code agents} frames); null until one came (older relays send none). */
    private List<Frame.AgentInfo> roster;
    /** The relay's quick replies ({@code quickReplies} frames); read from the UI thread. */
    private volatile List<Frame.QuickReply> relayQuickReplies = List.of();
    /** When a frame last came from the relay, epoch ms; -1 until read from the cache. Core thread only. */
    private long lastHeard = -1;
    private long lastHeardWritten;
    /** The relay's clock minus this machine's, from the last welcome, ms (recall windows are the relay's). */
    private volatile long relayClockOffsetMs;
    /** The relay's recall window, ms, from the last welcome ({@link #RECALL_WINDOW_MS} until one says). */
    private volatile long recallWindowMs = RECALL_WINDOW_MS;
    private Uploader uploader; // null: files cannot be sent (tests of text only)
    private ClosedChanges closedChanges; // null: closes and ratings missed while away are not asked for
    private Executor closedChangesThread;
    private VisitorConversations visitorConversations; // null: a visitor's earlier conversations come from the cache only
    private Executor visitorConversationsThread;
    /** The newest catch-up started (core thread); an older one still running does not mark it done. */
    private long closedCatchUp;
    private Executor uploads;
    private Path outgoing;

    /**
     * @param me    this agent ({@code role agent}, id, shown name), to recognise own messages
     * @param core  the services' thread; tests may pass {@code Runnable::run}
     */
    public ConversationService(ChatCache cache, FrameSender relay, Executor core, Frame.Party me) {
        this(cache, relay, core, me, false);
    }

    /** @param admin whether this agent is an admin of the relay (it then keeps recalled messages' text) */
    public ConversationService(ChatCache cache, FrameSender relay, Executor core, Frame.Party me, boolean admin) {
        this(cache, relay, core, me, () -> "c-" + UUID.randomUUID(), admin);
    }

    ConversationService(ChatCache cache, FrameSender relay, Executor core, Frame.Party me, Supplier<String> newCid) {
        this(cache, relay, core, me, newCid, false);
    }

    ConversationService(ChatCache cache, FrameSender relay, Executor core, Frame.Party me, Supplier<String> newCid,
                        boolean admin) {
        this.cache = cache;
        this.relay = relay;
        this.core = core;
        this.me = me;
        this.newCid = newCid;
        this.admin = admin;
    }

    /**
     * Lets {@link #sendFile} upload, on {@code uploadThread} (never the services thread: uploads take
     * long); {@code outgoingDir} keeps pasted images and screenshots until they are sent.
     */
    public void useUploader(Uploader uploader, Executor uploadThread, Path outgoingDir) {
        later(() -> {
            this.uploader = uploader;
            this.uploads = uploadThread;
            this.outgoing = outgoingDir;
        });
    }

    /**
     * Lets the app ask the relay, after each welcome, which conversations were closed or rated while
     * it was away ({@code GET /api/conversations?changedSince=}), on {@code httpThread} (blocking
     * HTTP), so that ratings given meanwhile reach the cache like live ones.
     */
    public void useClosedChanges(ClosedChanges source, Executor httpThread) {
        later(() -> {
            this.closedChanges = source;
            this.closedChangesThread = httpThread;
        });
    }

    /**
     * Lets {@link #visitorConversations} ask the relay for a visitor's conversations
     * ({@code GET /api/visitors/{site}/{visitorId}/conversations}), on {@code httpThread} (blocking HTTP).
     */
    public void useVisitorConversations(VisitorConversations source, Executor httpThread) {
        later(() -> {
            this.visitorConversations = source;
            this.visitorConversationsThread = httpThread;
        });
    }

    /** Sends bytes made in the app (a pasted image, a screenshot) as a file named {@code name}. */
    public CompletableFuture<ChatMessage> sendBytes(String conv, byte[] bytes, String name, String mime) {
        return onCore(() -> {
            try {
                Files.createDirectories(outgoing);
                Path file = Files.createTempFile(outgoing, "out-", "-" + name);
                Files.write(file, bytes);
                return file;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).thenCompose(file -> sendFile(conv, file, name, mime));
    }

    public void addListener(ConversationListener listener) {
        listeners.add(listener);
    }

    public void removeListener(ConversationListener listener) {
        listeners.remove(listener);
    }

    public Frame.Party me() {
        return me;
    }

    /**
     * The hello for a new connection: the token, every live conversation's resume position and the
     * epoch those positions were received under. Both are read in one transaction: a welcome handled
     * meanwhile on core may forget the history (a new epoch), and the positions must not outlive it.
     */
    public Frame.Hello hello(String token) {
        return cache.inTransaction(() -> new Frame.Hello(Role.AGENT, null, token, null, cache.resumePositions(),
                new Frame.ClientInfo("kefu-agent-desktop", AgentVersion.VALUE), cache.epoch().orElse(null)));
    }

    // ---- queries ----

    public CompletableFuture<List<Conversation>> conversations() {
        return onCore(() -> cache.conversations(LIST_LIMIT));
    }

    public CompletableFuture<Optional<Conversation>> conversation(String id) {
        return onCore(() -> cache.conversation(id));
    }

    /** The newest page of a conversation (then its pending messages), from the cache. */
    public CompletableFuture<List<ChatMessage>> latest(String conv) {
        return onCore(() -> cache.latestMessages(conv, PAGE));
    }

    /**
     * The page below {@code beforeSeq} from the cache, up to the first seq it lacks. When that page is
     * short of {@link #PAGE} and does not reach seq 1 (the cache never held what lies below: the
     * start of the conversation, or a gap in its middle), the relay is asked for the missing messages
     * just below it ({@code sync before=}, no more than the gap holds); they arrive later through
     * {@link ConversationListener#historyLoaded}, and the page says whether they were asked for.
     */
    public CompletableFuture<OlderPage> older(String conv, long beforeSeq) {
        return onCore(() -> {
            List<ChatMessage> page = cache.messagesBefore(conv, beforeSeq, PAGE);
            List<ChatMessage> stored = page.stream().filter(m -> !m.isNote()).toList();
            long lowest = stored.isEmpty() ? beforeSeq : stored.get(0).seq();
            if (stored.size() >= PAGE || lowest <= 1) {
                return new OlderPage(page, OlderPage.Relay.NOT_NEEDED);
            }
            long gap = lowest - 1 - cache.highestSeqBelow(conv, lowest);
            boolean asked = askHistory(conv, new Frame.Sync(conv, lowest, null, (int) Math.min(PAGE, gap)));
            return new OlderPage(page, asked ? OlderPage.Relay.ASKED : OlderPage.Relay.UNREACHABLE);
        });
    }

    /**
     * On core: sends a history {@code sync} unless one of {@code conv} is awaiting its answer already
     * (that answer comes; the caller asks again after it). False when offline.
     */
    private boolean askHistory(String conv, Frame.Sync sync) {
        if (!syncsInFlight.add(conv)) {
            return true;
        }
        if (relay.send(sync)) {
            syncKinds.computeIfAbsent(conv, k -> new java.util.ArrayDeque<>()).add(false);
            return true;
        }
        syncsInFlight.remove(conv);
        return false;
    }

    public CompletableFuture<List<SearchHit>> search(String text) {
        return onCore(() -> text == null || text.isBlank() ? List.of() : cache.search(text.trim(), 200));
    }

    public CompletableFuture<List<Conversation>> conversationsOfVisitor(String visitorId) {
        return onCore(() -> cache.conversationsOfVisitor(visitorId));
    }

    /**
     * A visitor's conversations as the relay lists them (its newest page), merged into the cache, then
     * read back from the cache: newest first, each once. See {@link #visitorConversations(String, String, String)}.
     *
     * @param site the visitor's site key (visitor ids are per site)
     */
    public CompletableFuture<List<Conversation>> visitorConversations(String site, String visitorId) {
        return visitorConversations(site, visitorId, null).thenApply(VisitorHistory::conversations);
    }

    /**
     * A page of a visitor's conversations as the relay lists them, merged into the cache (conversations
     * it never held are added as history, so that they are listed and can be opened offline later; held
     * ones take a close or rating they missed), then every conversation of the visitor the cache holds:
     * newest first, each once. {@code before} null asks for the relay's newest page; else the id of the
     * last conversation of the previous page ({@link VisitorHistory#next}). Listeners hear of each
     * conversation that changed. Fails (IOException as cause) when the relay cannot be asked: offline,
     * an error, or no {@link #useVisitorConversations source}; callers then keep to
     * {@link #conversationsOfVisitor}.
     *
     * @param site the visitor's site key (visitor ids are per site)
     */
    public CompletableFuture<VisitorHistory> visitorConversations(String site, String visitorId, String before) {
        return onCore(() -> {
            if (visitorConversations == null || site == null || !relay.isOnline()) {
                throw new java.util.concurrent.CompletionException(new java.io.IOException(
                        visitorConversations == null ? "no relay source" : site == null ? "site unknown" : "offline"));
            }
            return visitorConversations;
        }).thenApplyAsync(source -> {
            try {
                return source.of(site, visitorId, before);
            } catch (java.io.IOException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, runner(() -> visitorConversationsThread)).thenApplyAsync(page -> {
            Batch batch = new Batch();
            cache.inTransaction(() -> {
                for (Frame.ConvInfo c : page.conversations()) {
                    if (c.id() != null && visitorId.equals(c.visitor())) {
                        batch.touch(c.id());
                        cache.takeListedConversation(c);
                    }
                }
            });
            batch.fire();
            List<Frame.ConvInfo> listed = page.conversations();
            String next = page.more() && !listed.isEmpty() ? listed.get(listed.size() - 1).id() : null;
            return new VisitorHistory(cache.conversationsOfVisitor(visitorId), next);
        }, core);
    }

    /** An executor that hands work to the one {@code current} names when the work comes (set on core). */
    private static Executor runner(Supplier<Executor> current) {
        return work -> current.get().execute(work);
    }

    /**
     * Asks the relay for the newest page of a conversation that is no longer live and whose newest
     * messages the cache lacks (an earlier conversation listed by the relay, or one closed while this
     * app was away); the page arrives through {@link ConversationListener#historyLoaded} and stays in
     * the cache. Messages between it and older ones the cache holds (a conversation this app followed
     * until it went away, closed meanwhile) are fetched by {@link #older} as the agent scrolls up to
     * them. Live conversations are left to the replay after each welcome. The answer: false when
     * messages are missing and the relay cannot be asked now (offline); true otherwise.
     */
    public CompletableFuture<Boolean> requestMissing(String conv) {
        return onCore(() -> {
            Optional<Conversation> c = cache.conversation(conv);
            if (c.isEmpty() || c.get().isLive() || cache.highestSeq(conv) >= c.get().lastSeq()) {
                return true;
            }
            return askHistory(conv, new Frame.Sync(conv, null, null, PAGE));
        });
    }

    /** Agents met in conversation frames and messages, for transfers (the relay has no agent list yet). */
    /**
     * Agents to transfer to: the relay's roster when it sent one (online first, with status and load
     * in the name), else the agents met so far (cached).
     */
    public CompletableFuture<List<KnownAgent>> knownAgents() {
        return onCore(() -> {
            if (roster != null) {
                return roster.stream().filter(a -> !a.id().equals(me.id()))
                        .sorted(java.util.Comparator.comparing((Frame.AgentInfo a) -> rank(a.status()))
                                .thenComparing(a -> a.name() == null ? a.id() : a.name()))
                        .map(a -> new KnownAgent(a.id(), (a.name() == null ? a.id() : a.name()) + " · " + a.status()
                                + " " + a.open() + "/" + a.capacity()))
                        .toList();
            }
            return cache.knownAgents().stream().filter(a -> !a.id().equals(me.id())).toList();
        });
    }

    private static int rank(String status) {
        return "online".equals(status) ? 0 : "away".equals(status) ? 1 : 2;
    }

    /** Now on the relay's clock (this machine's clock corrected by the last welcome's {@code serverTime}); any thread. */
    public long relayNow() {
        return System.currentTimeMillis() + relayClockOffsetMs;
    }

    /**
     * How long after sending a message its sender may recall it, ms by the relay's clock: what the
     * last welcome said, or {@link #RECALL_WINDOW_MS} when it did not say; any thread.
     */
    public long recallWindowMs() {
        return recallWindowMs;
    }

    /** The relay's quick replies (personal and shared), latest {@code quickReplies} frame; any thread. */
    public List<Frame.QuickReply> relayQuickReplies() {
        return relayQuickReplies;
    }

    public CompletableFuture<Integer> outboxSize() {
        return onCore(cache::outboxSize);
    }

    // ---- commands ----

    /** Writes a reply to the cache and outbox, shows it as pending, and sends it if online. */
    public CompletableFuture<ChatMessage> send(String conv, String text) {
        return onCore(() -> {
            String cid = newCid.get();
            Frame.Send frame = new Frame.Send(cid, conv, MessageKind.TEXT, text, null);
            Optional<Conversation> before = cache.conversation(conv);
            ChatMessage pending = cache.addPending(conv, cid, me, text, FrameCodec.encode(frame));
            typingSentAt.remove(conv);
            fire(l -> l.messagesChanged(conv, List.of(pending), true));
            cache.conversation(conv).ifPresent(now -> fire(l -> l.conversationChanged(now, before.orElse(null))));
            fireOutbox();
            relay.send(frame);
            return pending;
        });
    }

    /**
     * Writes an internal note (agents only, never sent to the visitor) to the cache and outbox, shows
     * it as pending, and sends it if online. Like a reply it is resent with the same cid after every
     * welcome until acked; the relay stores one note per cid.
     */
    public CompletableFuture<ChatMessage> sendNote(String conv, String text) {
        return onCore(() -> {
            String cid = newCid.get();
            Frame.Send frame = new Frame.Send(cid, conv, MessageKind.NOTE, text, null);
            ChatMessage pending = cache.addPendingNote(conv, cid, me, text, FrameCodec.encode(frame));
            fire(l -> l.messagesChanged(conv, List.of(pending), true));
            fireOutbox();
            relay.send(frame);
            return pending;
        });
    }

    /**
     * Takes back own message {@code seq}. Not queued: false when offline (the recall window would run
     * out in the outbox). Sent with a cid of its own; the answer comes later: a {@code recalled} frame
     * (the message changes), or a refusal told as {@link ConversationListener#refused} with code
     * {@code recall_<wire code>}, matched by that cid (by order with a relay that does not echo cids).
     */
    public CompletableFuture<Boolean> recall(String conv, long seq) {
        return onCore(() -> {
            Frame.Recall frame = new Frame.Recall(conv, seq, newCid.get());
            if (!relay.send(frame)) {
                return false;
            }
            recallsInFlight.put(frame.cid(), frame);
            return true;
        });
    }

    /**
     * Sends an image or file: writes it as pending with an outbox row holding the local path, and
     * uploads it if online (else after the next welcome); once uploaded the {@code send} frame goes
     * out with the same cid. Size and type limits are checked by the upload; a refusal shows the
     * message as failed with the reason ({@link ConversationListener#refused}).
     */
    public CompletableFuture<ChatMessage> sendFile(String conv, Path file, String name, String mime) {
        return onCore(() -> {
            long size;
            try {
                size = Files.size(file);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            String cid = newCid.get();
            String kind = UploadedFile.kindOf(mime);
            Frame.Send frame = new Frame.Send(cid, conv, kind, null, new Frame.FileRef(null, name, size, mime));
            Optional<Conversation> before = cache.conversation(conv);
            ChatMessage pending = cache.addPendingFile(conv, cid, me, kind, name, mime, size, FrameCodec.encode(frame),
                    file.toAbsolutePath().toString());
            fire(l -> l.messagesChanged(conv, List.of(pending), true));
            cache.conversation(conv).ifPresent(now -> fire(l -> l.conversationChanged(now, before.orElse(null))));
            fireOutbox();
            if (relay.isOnline()) {
                upload(new OutboxEntry(cid, FrameCodec.encode(frame), pending.ts(), file.toAbsolutePath().toString()));
            }
            return pending;
        });
    }

    /** On core: uploads the file of an outbox row (once at a time per cid), then sends its frame. */
    private void upload(OutboxEntry e) {
        if (uploader == null || !uploading.add(e.cid())) {
            return;
        }
        Frame.Send frame;
        try {
            frame = (Frame.Send) FrameCodec.decode(e.frameJson());
        } catch (FrameException | ClassCastException ex) {
            uploading.remove(e.cid());
            log.error("unreadable outbox file frame {}", e.cid());
            return;
        }
        Uploader up = uploader;
        String conv = frame.conv();
        Frame.FileRef f = frame.file();
        long total = f.size() == null ? 0 : f.size();
        try {
            uploads.execute(() -> {
                try {
                    UploadedFile done = up.upload(e.cid(), Path.of(e.uploadPath()), f.name(), f.mime(),
                            (sent, all) -> fire(l -> l.uploadProgress(conv, e.cid(), sent, all)));
                    later(() -> uploaded(e.cid(), new Frame.Send(e.cid(), conv, frame.kind(), null, done.ref())));
                } catch (UploadException ex) {
                    later(() -> uploadFailed(conv, e.cid(), ex));
                } catch (RuntimeException ex) {
                    log.error("upload of {} failed", e.cid(), ex);
                    later(() -> uploadFailed(conv, e.cid(),
                            new UploadException(UploadException.Reason.NETWORK, String.valueOf(ex.getMessage()), ex)));
                }
            });
        } catch (RejectedExecutionException ex) {
            uploading.remove(e.cid());
        }
        fire(l -> l.uploadProgress(conv, e.cid(), 0, total));
    }

    private void uploaded(String cid, Frame.Send frame) {
        uploading.remove(cid);
        uploadRetries.remove(cid);
        cache.fileUploaded(cid, frame.file().key(), FrameCodec.encode(frame)).ifPresent(m ->
                fire(l -> l.messagesChanged(m.conv(), List.of(m), false)));
        relay.send(frame);
    }

    private void uploadFailed(String conv, String cid, UploadException ex) {
        uploading.remove(cid);
        if (ex.retryable()) {
            int attempt = uploadRetries.merge(cid, 1, Integer::sum);
            fire(l -> l.uploadProgress(conv, cid, -1, -1));
            if (attempt <= UPLOAD_RETRIES_ONLINE && relay.isOnline()) {
                log.info("upload of {} failed ({}); retry {} in {} ms", cid, ex.getMessage(), attempt, UPLOAD_RETRY_MS * attempt);
                CompletableFuture.delayedExecutor(UPLOAD_RETRY_MS * attempt, TimeUnit.MILLISECONDS, core).execute(() ->
                        cache.outbox().stream().filter(o -> o.cid().equals(cid) && o.awaitsUpload()).findFirst()
                                .ifPresent(this::upload));
            } else {
                log.info("upload of {} will be retried after the next welcome: {}", cid, ex.getMessage());
            }
            return;
        }
        uploadRetries.remove(cid);
        String code = ex.reason().name().toLowerCase(java.util.Locale.ROOT);
        Optional<ChatMessage> failed = cache.fail(cid, code);
        // the reason first, so that whoever sees the failed message can already tell why
        fire(l -> l.refused(conv, code, ex.getMessage()));
        failed.ifPresent(m -> fire(l -> l.messagesChanged(conv, List.of(m), false)));
        fireOutbox();
    }

    /** Invites a browsing visitor with a first message; queued in the outbox like a reply. */
    public CompletableFuture<ChatMessage> invite(String visitorId, String text) {
        return onCore(() -> {
            String cid = newCid.get();
            Frame.Invite frame = new Frame.Invite(cid, visitorId, text);
            ChatMessage pending = cache.addPending(null, cid, me, text, FrameCodec.encode(frame));
            fireOutbox();
            relay.send(frame);
            return pending;
        });
    }

    /** Takes a waiting conversation. False when offline (nothing is queued: the visitor may be gone by then). */
    public CompletableFuture<Boolean> accept(String conv) {
        return onCore(() -> relay.send(new Frame.Accept(conv)));
    }

    public CompletableFuture<Boolean> transfer(String conv, String agentId) {
        return onCore(() -> relay.send(new Frame.Transfer(conv, agentId)));
    }

    public CompletableFuture<Boolean> close(String conv) {
        return onCore(() -> relay.send(new Frame.Close(conv)));
    }

    /** The agent is typing: tells the visitor, at most every 0.8 s per conversation. Not queued offline. */
    public void typing(String conv, String text) {
        later(() -> {
            long now = System.currentTimeMillis();
            Long last = typingSentAt.get(conv);
            if (last != null && now - last < TYPING_EVERY_MS && !text.isEmpty()) {
                return;
            }
            typingSentAt.put(conv, now);
            relay.send(new Frame.Typing(conv, text, null));
        });
    }

    /**
     * The agent has the conversation in front: everything in it counts as read, and the visitor is
     * told. That is up to the newest message held, past a gap in the middle too (the chat shows the
     * newest messages; the gap is history the agent scrolls up to), not only up to the gap.
     */
    public void markRead(String conv) {
        later(() -> {
            Optional<Conversation> c = cache.conversation(conv);
            if (c.isEmpty() || (c.get().unread() == 0 && c.get().myReadSeq() >= c.get().lastSeq())) {
                return;
            }
            long seq = Math.max(c.get().heldSeq(), cache.highestSeq(conv));
            Conversation now = cache.markRead(conv, seq);
            fire(l -> l.conversationChanged(now, c.get()));
            if (seq > 0) {
                relay.send(new Frame.Read(conv, seq, null));
            }
        });
    }

    // ---- frames from the relay (on the core thread) ----

    /** Takes a batch of frames in one cache transaction, then tells the listeners. */
    public void onFrames(List<Frame> frames) {
        Batch batch = new Batch();
        cache.inTransaction(() -> {
            long now = System.currentTimeMillis();
            if (lastHeard < 0) {
                lastHeard = cache.meta(LAST_HEARD_META).map(Long::parseLong).orElse(0L);
            }
            batch.heardBefore = lastHeard;
            lastHeard = now;
            if (now - lastHeardWritten >= LAST_HEARD_WRITE_EVERY_MS) {
                cache.setMeta(LAST_HEARD_META, String.valueOf(now));
                lastHeardWritten = now;
            }
            for (Frame f : frames) {
                try {
                    handle(f, batch);
                } catch (RuntimeException e) {
                    log.error("handling a {} frame failed", FrameCodec.typeOf(f), e);
                }
            }
        });
        batch.fire();
    }

    private void handle(Frame frame, Batch batch) {
        if (frame instanceof Frame.Msg m) {
            batch.touch(m.conv());
            Optional<ChatMessage> stored = cache.storeMessage(m, me.id());
            stored.ifPresent(s -> {
                batch.message(s);
                if (s.fromVisitor()) {
                    batch.later(l -> l.draftChanged(m.conv(), ""));
                }
                if (s.cid() != null && me.id().equals(s.fromId())) {
                    batch.outboxChanged = true;
                }
            });
            if (stored.isEmpty() && Boolean.TRUE.equals(m.recalled())) {
                recalledLater(m, batch);
            }
        } else if (frame instanceof Frame.Ack a) {
            if (a.conv() != null) {
                batch.touch(a.conv());
            }
            if (Boolean.TRUE.equals(a.note())) {
                cache.confirmNote(a.cid(), a.conv(), a.seq(), a.ts()).ifPresent(batch::message);
            } else {
                cache.confirm(a.cid(), a.conv(), a.seq(), a.ts()).ifPresent(batch::message);
            }
            batch.outboxChanged = true;
        } else if (frame instanceof Frame.Note n) {
            batch.touch(n.conv());
            cache.storeNote(n, me.id()).ifPresent(stored -> {
                batch.message(stored);
                if (me.id().equals(stored.fromId())) {
                    batch.outboxChanged = true;
                }
            });
        } else if (frame instanceof Frame.Recalled r) {
            batch.touch(r.conv());
            if (r.cid() == null || recallsInFlight.remove(r.cid()) == null) {
                // another connection's recall, or an older relay's answer: it ends ours of that message too
                recallsInFlight.values().removeIf(q -> q.conv().equals(r.conv()) && q.seq() == r.seq());
            }
            cache.markRecalled(r.conv(), r.seq(), r.ts(), admin).ifPresent(batch::changed);
        } else if (frame instanceof Frame.ConvUpdate u && u.conv() != null) {
            batch.touch(u.conv().id());
            cache.upsertConversation(u.conv());
            if (ConvStatus.CLOSED.equals(u.conv().status())) {
                batch.later(l -> l.draftChanged(u.conv().id(), ""));
            }
        } else if (frame instanceof Frame.Welcome w) {
            welcome(w, batch);
        } else if (frame instanceof Frame.AgentList list && list.agents() != null) {
            roster = List.copyOf(list.agents());
            for (Frame.AgentInfo a : roster) {
                cache.rememberAgent(a.id(), a.name());
            }
        } else if (frame instanceof Frame.QuickReplies q && q.items() != null) {
            relayQuickReplies = List.copyOf(q.items());
        } else if (frame instanceof Frame.Msgs page) {
            history(page, batch);
        } else if (frame instanceof Frame.Typing t) {
            if (t.from() != null && Role.VISITOR.equals(t.from().role())) {
                String draft = t.text() == null ? "" : t.text();
                batch.later(l -> l.draftChanged(t.conv(), draft));
            }
        } else if (frame instanceof Frame.Read r) {
            read(r, batch);
        } else if (frame instanceof Frame.Error e) {
            error(e, batch);
        }
    }

    private void welcome(Frame.Welcome w, Batch batch) {
        takeEpoch(w.epoch(), batch);
        if (w.serverTime() > 0) {
            relayClockOffsetMs = w.serverTime() - System.currentTimeMillis();
        }
        recallWindowMs = w.recallWindowMs() != null && w.recallWindowMs() >= 0 ? w.recallWindowMs() : RECALL_WINDOW_MS;
        relayEchoesCid = Boolean.TRUE.equals(w.cidEcho());
        Set<String> live = new HashSet<>();
        List<Frame.ConvInfo> listed = w.conversations() == null ? List.of() : w.conversations();
        for (Frame.ConvInfo c : listed) {
            live.add(c.id());
            batch.touch(c.id());
            cache.upsertConversation(c);
        }
        for (String gone : cache.liveConversationIds()) {
            if (!live.contains(gone)) {
                batch.touch(gone);
            }
        }
        cache.closeAllExcept(live);
        if (w.you() != null) {
            cache.rememberAgent(w.you().id(), w.you().name());
        }
        // what was asked on the previous connection will not be answered
        syncsInFlight.clear();
        syncKinds.clear();
        recallsInFlight.clear();
        catchUpRecalls(live, batch.heardBefore);
        catchUpClosed(batch.heardBefore);
        List<OutboxEntry> outbox = cache.outbox();
        if (!outbox.isEmpty()) {
            log.info("resending {} queued frame(s) after welcome", outbox.size());
        }
        uploadRetries.clear();
        for (OutboxEntry e : outbox) {
            if (e.awaitsUpload()) {
                upload(e);
            } else {
                resend(e.frameJson());
            }
        }
        batch.outboxChanged = true;
    }

    /**
     * A welcome naming another epoch than the one the cache was filled under: the relay's store was
     * restored from a backup, and the seqs the cache holds may name other messages now (the relay
     * ignored our {@code resume} and replays as to a new client). The history is forgotten before
     * that replay is taken, the outbox kept (resent below, same cids), and the listeners told to read
     * everything again. A cache that kept no epoch (filled by an older relay) just keeps the new one;
     * a welcome without one (an older relay) changes nothing.
     */
    private void takeEpoch(String epoch, Batch batch) {
        if (epoch == null) {
            return;
        }
        Optional<String> kept = cache.epoch();
        if (kept.isPresent() && !kept.get().equals(epoch)) {
            int forgotten = cache.forgetHistory();
            log.warn("the relay's store was restored from a backup (epoch {} -> {}): {} cached message(s) forgotten, "
                    + "its history is taken again; {} queued frame(s) resent", kept.get(), epoch, forgotten,
                    cache.outboxSize());
            cache.setMeta(CLOSED_CHANGES_META, ""); // nothing closed is held any more
            batch.historyReplaced();
        }
        if (kept.isEmpty() || !kept.get().equals(epoch)) {
            cache.setEpoch(epoch);
        }
    }

    private void resend(String frameJson) {
        try {
            relay.send(FrameCodec.decode(frameJson));
        } catch (FrameException e) {
            log.error("unreadable outbox frame dropped from resend: {}", e.getMessage());
        }
    }

    /**
     * Recalls made while this app was away reach it only as {@code "recalled":true} on messages it
     * did not hold yet. So after a welcome, each live conversation holding messages that may have
     * been recalled since the relay was last heard from (sent within the window before that) is
     * asked again from the oldest of them ({@code sync after=}); the answer marks them.
     */
    private void catchUpRecalls(Set<String> live, long lastHeard) {
        if (lastHeard == 0) {
            return;
        }
        long since = lastHeard + relayClockOffsetMs - recallWindowMs - RECALL_CATCH_UP_SLACK_MS; // relay's clock
        for (String conv : live) {
            long from = cache.lowestRecallableSeq(conv, since);
            if (from > 0 && relay.send(new Frame.Sync(conv, null, from - 1, Limits.MAX_SYNC_LIMIT))) {
                syncKinds.computeIfAbsent(conv, k -> new java.util.ArrayDeque<>()).add(true);
            }
        }
    }

    /**
     * {@code welcome} lists live conversations only, so closes and above all ratings (a visitor may
     * rate any time after the close) that came while this app was away are asked for: from when the
     * relay was last heard from (on the relay's clock, less a margin), or from where an earlier
     * catch-up stopped, whichever is older. Pages are fetched off the services thread and applied
     * to conversations the cache holds, as {@code conv} frames would have been.
     */
    private void catchUpClosed(long heardBefore) {
        if (closedChanges == null) {
            return;
        }
        long since = cache.meta(CLOSED_CHANGES_META).filter(v -> !v.isEmpty()).map(Long::parseLong).orElse(Long.MAX_VALUE);
        if (heardBefore > 0) {
            since = Math.min(since, heardBefore + relayClockOffsetMs - CLOSED_CATCH_UP_SLACK_MS);
        }
        if (since == Long.MAX_VALUE) {
            return; // never connected before: the cache holds no conversation that could have changed
        }
        cache.setMeta(CLOSED_CHANGES_META, String.valueOf(since));
        long run = ++closedCatchUp;
        ClosedChanges source = closedChanges;
        long from = since;
        try {
            closedChangesThread.execute(() -> fetchClosed(source, from, run));
        } catch (RejectedExecutionException e) {
            // the session is closing: the next welcome asks again from the kept position
        }
    }

    /** Off the services thread: every page from {@code since}, each applied on core. */
    private void fetchClosed(ClosedChanges source, long since, long run) {
        long from = since;
        try {
            while (true) {
                ClosedChanges.Page page = source.since(from, CLOSED_CATCH_UP_PAGE);
                if (page == null) {
                    log.info("the relay cannot list closed conversations (older relay): ratings given while away stay unknown");
                    later(() -> closedCaughtUp(run));
                    return;
                }
                later(() -> applyClosed(page.conversations()));
                if (!page.more()) {
                    later(() -> closedCaughtUp(run));
                    return;
                }
                // the last millisecond's items come again; a full page within one millisecond moves on by one
                from = page.lastChangedAt() > from ? page.lastChangedAt() : from + 1;
            }
        } catch (java.io.IOException | RuntimeException e) {
            log.info("closed conversations not caught up ({}); asked again after the next welcome", e.getMessage());
        }
    }

    /** On core: a page of conversations closed or rated while away, for those the cache holds. */
    private void applyClosed(List<Frame.ConvInfo> conversations) {
        Batch batch = new Batch();
        cache.inTransaction(() -> {
            for (Frame.ConvInfo c : conversations) {
                if (c.id() != null && cache.conversation(c.id()).isPresent()) {
                    batch.touch(c.id());
                    cache.upsertConversation(c);
                }
            }
        });
        batch.fire();
    }

    private void closedCaughtUp(long run) {
        if (run == closedCatchUp) {
            cache.setMeta(CLOSED_CHANGES_META, "");
        }
    }

    private void history(Frame.Msgs page, Batch batch) {
        java.util.ArrayDeque<Boolean> kinds = syncKinds.get(page.conv());
        boolean catchUp = kinds != null && Boolean.TRUE.equals(kinds.poll());
        if (kinds != null && kinds.isEmpty()) {
            syncKinds.remove(page.conv());
        }
        batch.touch(page.conv());
        List<ChatMessage> added = new ArrayList<>();
        for (Frame.Msg m : page.items()) {
            Optional<ChatMessage> stored = cache.storeMessage(m, me.id());
            stored.ifPresent(added::add);
            if (stored.isEmpty() && Boolean.TRUE.equals(m.recalled())) {
                recalledLater(m, batch);
            }
        }
        if (page.notes() != null) {
            for (Frame.Note n : page.notes()) {
                cache.storeNote(n, me.id()).ifPresent(added::add);
            }
        }
        if (catchUp) {
            added.forEach(batch::message);
            return;
        }
        syncsInFlight.remove(page.conv());
        batch.later(l -> l.historyLoaded(page.conv(), added, page.more()));
    }

    /** A message already held turns out to be recalled (a replay or a page says so). */
    private void recalledLater(Frame.Msg m, Batch batch) {
        cache.markRecalled(m.conv(), m.seq(), 0, admin || m.body() != null || m.file() != null)
                .ifPresent(batch::changed);
    }

    private void read(Frame.Read r, Batch batch) {
        if (r.from() == null || r.seq() == null) {
            return;
        }
        if (Role.VISITOR.equals(r.from().role())) {
            List<ChatMessage> nowRead = cache.markReadByVisitor(r.conv(), r.seq());
            if (!nowRead.isEmpty()) {
                batch.later(l -> l.messagesChanged(r.conv(), nowRead, false));
            }
        } else if (me.id().equals(r.from().id())) {
            batch.touch(r.conv());
            cache.markRead(r.conv(), r.seq()); // read on another device of this agent
        }
    }

    private void error(Frame.Error e, Batch batch) {
        ErrorCode code = ErrorCode.fromWire(e.code());
        Frame.Recall refused = null;
        if (e.cid() != null) {
            refused = recallsInFlight.remove(e.cid());
        } else if (!relayEchoesCid && !recallsInFlight.isEmpty() && RECALL_REFUSALS.contains(code)) {
            // an older relay: its refusal names no cid, so it answers the oldest recall
            String oldest = recallsInFlight.keySet().iterator().next();
            refused = recallsInFlight.remove(oldest);
        }
        if (refused != null) {
            String conv = refused.conv();
            batch.later(l -> l.refused(conv, "recall_" + e.code(), e.message()));
            return;
        }
        if (e.cid() == null) {
            batch.later(l -> l.refused(null, e.code(), e.message()));
            return;
        }
        if (code == ErrorCode.SERVER_BUSY || code == ErrorCode.RATE_LIMITED) {
            // Still in the outbox: try the same frame again shortly (and after any reconnect).
            CompletableFuture.delayedExecutor(RETRY_BUSY_MS, TimeUnit.MILLISECONDS, core).execute(() ->
                    cache.outbox().stream().filter(o -> o.cid().equals(e.cid())).findFirst()
                            .ifPresent(o -> resend(o.frameJson())));
            return;
        }
        cache.fail(e.cid(), e.code()).ifPresent(failed -> {
            batch.message(failed);
            batch.later(l -> l.refused(failed.conv(), e.code(), e.message()));
        });
        batch.outboxChanged = true;
    }

    /** The errors with which an older relay (no {@code cidEcho}) answers a recall. */
    private static final Set<ErrorCode> RECALL_REFUSALS = java.util.EnumSet.of(ErrorCode.NOT_ALLOWED, ErrorCode.BAD_FRAME,
            ErrorCode.UNKNOWN_CONV, ErrorCode.SERVER_BUSY);

    // ---- plumbing ----

    private <T> CompletableFuture<T> onCore(Supplier<T> work) {
        try {
            return CompletableFuture.supplyAsync(work, core);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(e); // the session is closing
        }
    }

    private void later(Runnable work) {
        try {
            core.execute(work);
        } catch (RejectedExecutionException e) {
            // the session is closing: typing and read receipts are not worth keeping
        }
    }

    private void fire(java.util.function.Consumer<ConversationListener> event) {
        for (ConversationListener l : listeners) {
            try {
                event.accept(l);
            } catch (RuntimeException e) {
                log.error("conversation listener failed", e);
            }
        }
    }

    private void fireOutbox() {
        int queued = cache.outboxSize();
        fire(l -> l.outboxChanged(queued));
    }

    /** What one batch of frames changed, told to the listeners once the transaction committed. */
    private final class Batch {
        private final Map<String, Optional<Conversation>> before = new LinkedHashMap<>();
        private final Map<String, List<ChatMessage>> messages = new LinkedHashMap<>();
        private final Map<String, List<ChatMessage>> changed = new LinkedHashMap<>();
        private final List<java.util.function.Consumer<ConversationListener>> later = new ArrayList<>();
        boolean outboxChanged;
        /** The cache forgot its history in this batch (a new epoch). */
        boolean replaced;
        /** When the relay was last heard from before this batch (epoch ms, 0 = never). */
        long heardBefore;

        void touch(String conv) {
            before.computeIfAbsent(conv, cache::conversation);
        }

        void message(ChatMessage m) {
            if (m.conv() != null) {
                touch(m.conv());
                messages.computeIfAbsent(m.conv(), k -> new ArrayList<>()).add(m);
            }
        }

        /** An older message changed (e.g. recalled): told with {@code live} false, so that nothing alerts. */
        void changed(ChatMessage m) {
            if (m.conv() != null) {
                touch(m.conv());
                changed.computeIfAbsent(m.conv(), k -> new ArrayList<>()).add(m);
            }
        }

        void later(java.util.function.Consumer<ConversationListener> event) {
            later.add(event);
        }

        /**
         * The cache forgot its history: what this batch gathered before names rows that are gone, and
         * listeners read everything again ({@link ConversationListener#historyReplaced}) before they
         * hear of what follows. Catch-ups that start from when the relay was last heard are moot.
         */
        void historyReplaced() {
            before.clear();
            messages.clear();
            changed.clear();
            later.clear();
            replaced = true;
            heardBefore = 0;
        }

        void fire() {
            if (replaced) {
                ConversationService.this.fire(ConversationListener::historyReplaced);
            }
            for (Map.Entry<String, Optional<Conversation>> e : before.entrySet()) {
                Optional<Conversation> now = cache.conversation(e.getKey());
                if (now.isPresent() && !now.equals(e.getValue())) {
                    Conversation was = e.getValue().orElse(null);
                    ConversationService.this.fire(l -> l.conversationChanged(now.get(), was));
                }
            }
            messages.forEach((conv, list) -> ConversationService.this.fire(l -> l.messagesChanged(conv, list, true)));
            changed.forEach((conv, list) -> ConversationService.this.fire(l -> l.messagesChanged(conv, list, false)));
            later.forEach(ConversationService.this::fire);
            if (outboxChanged) {
                fireOutbox();
            }
        }
    }
}

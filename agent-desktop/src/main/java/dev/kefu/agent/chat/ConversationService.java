package dev.kefu.agent.chat;

import dev.kefu.agent.cache.ChatCache;
import dev.kefu.agent.cache.ChatMessage;
import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.cache.KnownAgent;
import dev.kefu.agent.cache.OutboxEntry;
import dev.kefu.agent.cache.SearchHit;
import dev.kefu.agent.net.FrameSender;
import dev.kefu.protocol.ConvStatus;
import dev.kefu.protocol.ErrorCode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;
import dev.kefu.protocol.MessageKind;
import dev.kefu.protocol.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    private final ChatCache cache;
    private final FrameSender relay;
    private final Executor core;
    private final Frame.Party me;
    private final Supplier<String> newCid;
    private final List<ConversationListener> listeners = new CopyOnWriteArrayList<>();
    // core thread only
    private final Map<String, Long> typingSentAt = new HashMap<>();
    private final Set<String> syncsInFlight = new HashSet<>();

    /**
     * @param me    this agent ({@code role agent}, id, shown name), to recognise own messages
     * @param core  the services' thread; tests may pass {@code Runnable::run}
     */
    public ConversationService(ChatCache cache, FrameSender relay, Executor core, Frame.Party me) {
        this(cache, relay, core, me, () -> "c-" + UUID.randomUUID());
    }

    ConversationService(ChatCache cache, FrameSender relay, Executor core, Frame.Party me, Supplier<String> newCid) {
        this.cache = cache;
        this.relay = relay;
        this.core = core;
        this.me = me;
        this.newCid = newCid;
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

    /** The hello for a new connection: the token and every live conversation's resume position. */
    public Frame.Hello hello(String token) {
        return new Frame.Hello(Role.AGENT, null, token, null, cache.resumePositions(),
                new Frame.ClientInfo("kefu-agent-desktop", AgentVersion.VALUE));
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
     * The page below {@code beforeSeq} from the cache. When the cache has less than a page and
     * older messages exist, the relay is asked too ({@code sync before=}); they arrive later through
     * {@link ConversationListener#historyLoaded}.
     */
    public CompletableFuture<List<ChatMessage>> older(String conv, long beforeSeq) {
        return onCore(() -> {
            List<ChatMessage> page = cache.messagesBefore(conv, beforeSeq, PAGE);
            long lowest = page.isEmpty() ? beforeSeq : page.get(0).seq();
            if (page.size() < PAGE && lowest > 1 && syncsInFlight.add(conv)) {
                if (!relay.send(new Frame.Sync(conv, lowest, null, PAGE))) {
                    syncsInFlight.remove(conv);
                }
            }
            return page;
        });
    }

    public CompletableFuture<List<SearchHit>> search(String text) {
        return onCore(() -> text == null || text.isBlank() ? List.of() : cache.search(text.trim(), 200));
    }

    public CompletableFuture<List<Conversation>> conversationsOfVisitor(String visitorId) {
        return onCore(() -> cache.conversationsOfVisitor(visitorId));
    }

    /** Agents met in conversation frames and messages, for transfers (the relay has no agent list yet). */
    public CompletableFuture<List<KnownAgent>> knownAgents() {
        return onCore(() -> cache.knownAgents().stream().filter(a -> !a.id().equals(me.id())).toList());
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

    /** The agent has the conversation in front: everything in it counts as read, and the visitor is told. */
    public void markRead(String conv) {
        later(() -> {
            Optional<Conversation> c = cache.conversation(conv);
            if (c.isEmpty() || (c.get().unread() == 0 && c.get().myReadSeq() >= c.get().lastSeq())) {
                return;
            }
            long seq = c.get().heldSeq();
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
            cache.storeMessage(m, me.id()).ifPresent(stored -> {
                batch.message(stored);
                if (stored.fromVisitor()) {
                    batch.later(l -> l.draftChanged(m.conv(), ""));
                }
                if (stored.cid() != null && me.id().equals(stored.fromId())) {
                    batch.outboxChanged = true;
                }
            });
        } else if (frame instanceof Frame.Ack a) {
            if (a.conv() != null) {
                batch.touch(a.conv());
            }
            cache.confirm(a.cid(), a.conv(), a.seq(), a.ts()).ifPresent(batch::message);
            batch.outboxChanged = true;
        } else if (frame instanceof Frame.ConvUpdate u && u.conv() != null) {
            batch.touch(u.conv().id());
            cache.upsertConversation(u.conv());
            if (ConvStatus.CLOSED.equals(u.conv().status())) {
                batch.later(l -> l.draftChanged(u.conv().id(), ""));
            }
        } else if (frame instanceof Frame.Welcome w) {
            welcome(w, batch);
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
        List<OutboxEntry> outbox = cache.outbox();
        if (!outbox.isEmpty()) {
            log.info("resending {} queued frame(s) after welcome", outbox.size());
        }
        for (OutboxEntry e : outbox) {
            resend(e.frameJson());
        }
        batch.outboxChanged = true;
    }

    private void resend(String frameJson) {
        try {
            relay.send(FrameCodec.decode(frameJson));
        } catch (FrameException e) {
            log.error("unreadable outbox frame dropped from resend: {}", e.getMessage());
        }
    }

    private void history(Frame.Msgs page, Batch batch) {
        syncsInFlight.remove(page.conv());
        batch.touch(page.conv());
        List<ChatMessage> added = new ArrayList<>();
        for (Frame.Msg m : page.items()) {
            cache.storeMessage(m, me.id()).ifPresent(added::add);
        }
        batch.later(l -> l.historyLoaded(page.conv(), added, page.more()));
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
        private final List<java.util.function.Consumer<ConversationListener>> later = new ArrayList<>();
        boolean outboxChanged;

        void touch(String conv) {
            before.computeIfAbsent(conv, cache::conversation);
        }

        void message(ChatMessage m) {
            if (m.conv() != null) {
                touch(m.conv());
                messages.computeIfAbsent(m.conv(), k -> new ArrayList<>()).add(m);
            }
        }

        void later(java.util.function.Consumer<ConversationListener> event) {
            later.add(event);
        }

        void fire() {
            for (Map.Entry<String, Optional<Conversation>> e : before.entrySet()) {
                Optional<Conversation> now = cache.conversation(e.getKey());
                if (now.isPresent() && !now.equals(e.getValue())) {
                    Conversation was = e.getValue().orElse(null);
                    ConversationService.this.fire(l -> l.conversationChanged(now.get(), was));
                }
            }
            messages.forEach((conv, list) -> ConversationService.this.fire(l -> l.messagesChanged(conv, list, true)));
            later.forEach(ConversationService.this::fire);
            if (outboxChanged) {
                fireOutbox();
            }
        }
    }
}

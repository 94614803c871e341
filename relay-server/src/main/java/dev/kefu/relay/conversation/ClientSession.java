package dev.kefu.relay.conversation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kefu.protocol.CloseCodes;
import dev.kefu.protocol.ConvStatus;
import dev.kefu.protocol.ErrorCode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;
import dev.kefu.protocol.Limits;
import dev.kefu.protocol.MessageKind;
import dev.kefu.protocol.Role;
import dev.kefu.relay.auth.AuthService;
import dev.kefu.relay.store.AgentRecord;
import dev.kefu.relay.store.AppendResult;
import dev.kefu.relay.store.BlockRecord;
import dev.kefu.relay.store.ConvChange;
import dev.kefu.relay.store.Conversation;
import dev.kefu.relay.store.GroupCommitWriter;
import dev.kefu.relay.store.NewMessage;
import dev.kefu.relay.store.Sender;
import dev.kefu.relay.store.SiteRecord;
import dev.kefu.relay.store.StoredMessage;
import dev.kefu.relay.store.StoredNote;
import dev.kefu.relay.store.StoreException;
import dev.kefu.relay.store.VisitorRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Predicate;

/**
 * One client connection's protocol state machine: hello, then frames. Everything it does runs on
 * its own {@link SerialExecutor}, so its fields need no locks and frames are handled in arrival
 * order; store writes complete later on the store's dispatch thread and hop back here.
 *
 * <p>It remembers, per conversation, the highest seq it has pushed to the client with nothing
 * missing below ({@code delivered}). A live message at or below it is dropped; one above the next
 * expected seq first gets the gap filled from the store. So resume replay and live fan-out may
 * race freely and the client still sees every message once, in order.
 */
public final class ClientSession {
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);
    /** Frames waiting to be handled beyond which a flooding client is disconnected. */
    private static final int MAX_PENDING = 10_000;
    private static final int REPLAY_PAGE = 500;

    private enum State { AWAITING_HELLO, READY, CLOSED }

    private final ConversationHub hub;
    private final Transport transport;
    private final String id;
    private final SerialExecutor serial;
    private final TokenBucket rate;
    private final Map<String, Long> delivered = new HashMap<>();

    private volatile long lastReceivedNanos = System.nanoTime();
    private volatile long lastPingNanos = System.nanoTime();
    /**
     * The relay has stopped reading this connection (the store is backlogged): whatever the peer
     * sends meanwhile, its pongs included, waits unread, so its silence is not its own.
     */
    private volatile boolean readsHeld;
    private volatile State state = State.AWAITING_HELLO;
    private volatile AgentRecord agent;
    private volatile SiteRecord site;
    private volatile String visitorId;
    /** The signed-in user this visitor session is, or null (anonymous, or an agent). */
    private volatile String userId;
    /** Conversations this connection's sign-in moved from the browser's id to the user's visitor. */
    private List<String> movedAtHello = List.of();
    private Sender self;
    private Frame.Party party;

    ClientSession(ConversationHub hub, Transport transport, String id) {
        this.hub = hub;
        this.transport = transport;
        this.id = id;
        this.serial = new SerialExecutor(hub.workers(), transport::flush);
        this.rate = new TokenBucket(hub.config.rateLimitPerSec(), hub.config.rateLimitBurst());
    }

    // ---- called by the transport ----

    /** A text frame arrived. Never blocks. */
    public void onText(String text) {
        touch();
        hub.countFrameIn();
        if (serial.pending() > MAX_PENDING) {
            transport.close(CloseCodes.TRY_AGAIN_LATER, "too many frames queued");
            return;
        }
        serial.execute(() -> handle(text));
    }

    /** Anything arrived (a frame, a WebSocket ping or pong, a long-poll request). */
    public void touch() {
        lastReceivedNanos = System.nanoTime();
    }

    /** The relay stops reading this connection for now: the heartbeat does not count it silent meanwhile. */
    void holdReads() {
        readsHeld = true;
    }

    /** The relay reads this connection again: its silence counts from now. */
    void releaseReads() {
        touch(); // before the flag, so a heartbeat that sees it cleared sees this time too
        readsHeld = false;
    }

    /** The connection is gone. */
    public void onClosed() {
        serial.execute(() -> {
            if (state != State.CLOSED) {
                state = State.CLOSED;
                hub.closed(this);
            }
        });
    }

    public Transport transport() {
        return transport;
    }

    public String id() {
        return id;
    }

    // ---- read by the hub ----

    boolean isAgent() {
        return agent != null;
    }

    AgentRecord agent() {
        return agent;
    }

    String site() {
        return site == null ? null : site.key();
    }

    String visitorId() {
        return visitorId;
    }

    /** Whether this is a visitor's connection that no site-signed user id vouches for. */
    boolean isAnonymousVisitor() {
        return agent == null && visitorId != null && userId == null;
    }

    private boolean isAdmin() {
        return agent != null && agent.admin();
    }

    /** Closes the connection behind whatever this session is doing (frames queued before it go out first). */
    void closeLater(int code, String reason) {
        serial.execute(() -> {
            state = State.CLOSED;
            transport.close(code, reason);
        });
    }

    /** Queues a frame for the client behind whatever this session is doing. */
    void sendLater(String json) {
        serial.execute(() -> {
            if (state == State.READY) {
                transport.sendMore(json);
            }
        });
    }

    /** A live message for this client: pushed in seq order, gaps filled from the store, repeats dropped. */
    void deliver(Frame.Msg msg, String json) {
        Runnable task = () -> {
            if (state != State.READY) {
                return;
            }
            long have = delivered.getOrDefault(msg.conv(), 0L);
            if (msg.seq() <= have) {
                return;
            }
            if (msg.seq() > have + 1) {
                replay(msg.conv(), have, msg.seq() - 1);
            }
            transport.sendMore(json);
            delivered.put(msg.conv(), msg.seq());
        };
        // On the store's dispatch thread an idle session takes the frame at once, without a worker
        // woken for it; the dispatch thread flushes it with the rest of its batch.
        if (hub.flushLater(transport) && serial.runHereIfIdle(task)) {
            return;
        }
        serial.execute(task);
    }

    void heartbeat(long now, long hbNanos) {
        if (!transport.needsHeartbeat()) {
            return;
        }
        if (!readsHeld && now - lastReceivedNanos > 2 * hbNanos) {
            log.info("session {} silent for more than {} s: closing", id, 2 * hbNanos / 1_000_000_000L);
            transport.close(CloseCodes.GOING_AWAY, "no frames for 2 x heartbeat");
            return;
        }
        if (state == State.READY && now - lastPingNanos >= hbNanos) {
            lastPingNanos = now;
            sendLater("{\"type\":\"ping\"}");
        }
    }

    // ---- frame handling, on the serial executor ----

    private void handle(String text) {
        if (state == State.CLOSED) {
            return;
        }
        int limit = state == State.READY ? Limits.MAX_FRAME_BYTES : Limits.MAX_HELLO_BYTES;
        if (exceedsFrameLimit(text, limit)) {
            error(ErrorCode.TOO_LARGE, (state == State.READY ? "frame above " : "hello above ") + limit + " bytes", null);
            transport.close(CloseCodes.TOO_LARGE, "frame too large");
            return;
        }
        JsonNode node;
        Frame frame;
        try {
            node = FrameCodec.parse(text);
            frame = FrameCodec.decode(node);
        } catch (FrameException e) {
            if (state == State.AWAITING_HELLO) {
                refuseAndClose(ErrorCode.HELLO_REQUIRED, "the first frame must be a valid hello");
            } else {
                error(e.code(), e.getMessage(), cidOf(text));
            }
            return;
        }
        if (state == State.AWAITING_HELLO) {
            if (frame instanceof Frame.Hello hello) {
                hello(hello);
            } else {
                refuseAndClose(ErrorCode.HELLO_REQUIRED, "the first frame must be hello");
            }
            return;
        }
        if (!rate.tryTake()) {
            error(ErrorCode.RATE_LIMITED, "too many frames; slow down", cid(frame));
            return;
        }
        try {
            dispatch(frame);
        } catch (StoreException e) {
            log.warn("session {}: store unavailable for {}: {}", id, frame.getClass().getSimpleName(), e.getMessage());
            error(ErrorCode.SERVER_BUSY, "the store is unavailable; retry", cid(frame));
        }
    }

    private void dispatch(Frame frame) {
        if (frame instanceof Frame.Send f) {
            send(f);
        } else if (frame instanceof Frame.Sync f) {
            sync(f);
        } else if (frame instanceof Frame.Read f) {
            read(f);
        } else if (frame instanceof Frame.Typing f) {
            typing(f);
        } else if (frame instanceof Frame.PageView f) {
            page(f);
        } else if (frame instanceof Frame.Accept f) {
            agentOnly(f, () -> convChange(hub.store.accept(f.conv(), agent.id(), mayUse()), null));
        } else if (frame instanceof Frame.Transfer f) {
            agentOnly(f, () -> transfer(f));
        } else if (frame instanceof Frame.Close f) {
            convChange(hub.store.close(f.conv(), mayUse()), null);
        } else if (frame instanceof Frame.Invite f) {
            agentOnly(f, () -> invite(f));
        } else if (frame instanceof Frame.AgentStatus f) {
            agentOnly(f, () -> status(f));
        } else if (frame instanceof Frame.Contact f) {
            contact(f);
        } else if (frame instanceof Frame.Recall f) {
            recall(f);
        } else if (frame instanceof Frame.Rate f) {
            rate(f);
        } else if (frame instanceof Frame.Ping) {
            transport.send("{\"type\":\"pong\"}");
        } else if (frame instanceof Frame.Pong) {
            // liveness only; touch() already noted it
        } else if (frame instanceof Frame.Hello) {
            error(ErrorCode.BAD_FRAME, "hello was already received on this connection", null);
        } else {
            error(ErrorCode.NOT_ALLOWED, "clients do not send '" + typeName(frame) + "' frames", null);
        }
    }

    // ---- hello ----

    private void hello(Frame.Hello hello) {
        if (!transport.role().equals(hello.role())) {
            refuseAndClose(ErrorCode.NOT_ALLOWED, "this endpoint serves role '" + transport.role() + "'");
            return;
        }
        boolean ok = Role.AGENT.equals(hello.role()) ? helloAgent(hello) : helloVisitor(hello);
        if (!ok) {
            return;
        }
        state = State.READY;
        lastPingNanos = System.nanoTime();
        // Registered before reading what to replay: a message stored meanwhile arrives live as well,
        // and deliver() drops whichever copy comes second.
        List<Conversation> conversations;
        if (agent != null) {
            hub.registerAgent(this);
            conversations = hub.store.liveConversations().stream().filter(c -> agent.maySee(c.site())).toList();
        } else {
            hub.registerVisitor(this, site.key(), visitorId);
            conversations = hub.store.visitorConversations(site.key(), visitorId);
        }
        transport.send(FrameCodec.encode(new Frame.Welcome(id, party, conversations.stream().map(hub::convInfo).toList(),
                hub.config.heartbeatSec(), System.currentTimeMillis(), hub.config.recallWindowSec() * 1000L, true, hub.epoch)));

        // Seqs taken under another epoch (before a restore from backup) may name other messages now.
        boolean sameHistory = hello.epoch() == null || hello.epoch().equals(hub.epoch);
        replayAfterWelcome(hello.resume() == null || !sameHistory ? Map.of() : withoutMoved(hello.resume()), conversations);
        if (agent != null) {
            transport.send(FrameCodec.encode(new Frame.VisitorList(hub.tracker.online(agent::maySee))));
            transport.send(FrameCodec.encode(hub.quickReplies(agent)));
            transport.send(FrameCodec.encode(hub.agentList()));
        } else {
            transport.send(FrameCodec.encode(hub.serviceFrame(site, hub.assigner.service(site))));
            conversations.stream().filter(c -> ConvStatus.WAITING.equals(c.status()))
                    .forEach(c -> hub.assigner.retell(c.id()));
        }
    }

    /**
     * The resume without the conversations this hello's sign-in moved to the user: a client that
     * adopts the user's visitor id may have forgotten what it held under its own (docs/protocol.md),
     * so those replay from the start; a client that kept them drops the seqs it holds.
     */
    private Map<String, Long> withoutMoved(Map<String, Long> resume) {
        if (movedAtHello.isEmpty()) {
            return resume;
        }
        Map<String, Long> out = new HashMap<>(resume);
        movedAtHello.forEach(out::remove);
        return out;
    }

    private boolean helloAgent(Frame.Hello hello) {
        Optional<AgentRecord> a = hub.auth.agentForToken(hello.token());
        if (a.isEmpty()) {
            refuseAndClose(ErrorCode.BAD_TOKEN, "missing, invalid or expired token; log in again");
            return false;
        }
        agent = a.get();
        self = new Sender(Role.AGENT, agent.id(), agent.shownName(), null);
        party = new Frame.Party(Role.AGENT, agent.id(), agent.shownName());
        return true;
    }

    private boolean helloVisitor(Frame.Hello hello) {
        Optional<SiteRecord> s = hub.auth.site(hello.site());
        if (s.isEmpty()) {
            refuseAndClose(ErrorCode.UNKNOWN_SITE, "no site with key '" + hello.site() + "'");
            return false;
        }
        String origin = transport.origin();
        if (!s.get().origins().isEmpty() && origin != null && !s.get().origins().contains(origin)) {
            refuseAndClose(ErrorCode.NOT_ALLOWED, "origin " + origin + " is not allowed for this site");
            return false;
        }
        Frame.VisitorInfo v = hello.visitor();
        // A signed-in user is the same visitor on every device: from here on this session is the
        // user's canonical visitor, whatever id the browser presented.
        AuthService.VisitorCheck check = v == null
                ? new AuthService.VisitorCheck.Refused(ErrorCode.BAD_IDENTITY, "hello.visitor is required")
                : hub.auth.visitor(s.get(), v.id(), v.userId(), v.userHash());
        if (check instanceof AuthService.VisitorCheck.Refused r) {
            if (r.code() == ErrorCode.SERVER_BUSY) {
                error(r.code(), r.message(), null);
                state = State.CLOSED;
                transport.close(CloseCodes.TRY_AGAIN_LATER, r.code().wire());
            } else {
                refuseAndClose(r.code(), r.message());
            }
            return false;
        }
        AuthService.VisitorCheck.Admitted admitted = (AuthService.VisitorCheck.Admitted) check;
        String ip = transport.remoteAddress();
        Optional<BlockRecord> block = hub.desk.blockFor(s.get().key(), admitted.visitorId(), ip)
                .or(() -> hub.desk.blockFor(s.get().key(), v.id(), ip));
        if (block.isPresent()) {
            refuseAndClose(ErrorCode.NOT_ALLOWED, "you cannot chat on this site");
            return false;
        }
        site = s.get();
        visitorId = admitted.visitorId();
        userId = admitted.userId();
        movedAtHello = admitted.moved().stream().map(Conversation::id).toList();
        if (admitted.boundNow()) {
            hub.signedIn(site.key(), v.id());
        }
        String name = clip(v.name(), 200);
        self = new Sender(Role.VISITOR, visitorId, name, site.key());
        party = new Frame.Party(Role.VISITOR, visitorId, name);
        Frame.VisitorInfo tracked = new Frame.VisitorInfo(visitorId, v.name(), v.email(), v.attrs(), null, null);
        hub.tracker.connected(site.key(), tracked, transport.userAgent(), ip).ifPresent(hub::toAgents);
        hub.store.saveVisitor(new VisitorRecord(site.key(), visitorId, name, clip(v.email(), 200), attrsJson(v),
                        userId, System.currentTimeMillis()))
                .exceptionally(e -> {
                    log.warn("saving visitor {} failed: {}", visitorId, e.getMessage());
                    return null;
                });
        return true;
    }

    // ---- messages ----

    private void send(Frame.Send f) {
        String kind = f.kind() == null ? MessageKind.TEXT : f.kind();
        if (!validCid(f.cid())) {
            return;
        }
        if (MessageKind.NOTE.equals(kind)) {
            note(f);
            return;
        }
        if (!MessageKind.ALL.contains(kind)) {
            error(ErrorCode.BAD_FRAME, "kind must be text, image or file", f.cid());
            return;
        }
        if (MessageKind.TEXT.equals(kind) && (f.body() == null || f.body().isBlank())) {
            error(ErrorCode.BAD_FRAME, "a text message needs a non-empty body", f.cid());
            return;
        }
        if (!MessageKind.TEXT.equals(kind) && (f.file() == null || f.file().key() == null || f.file().key().isBlank())) {
            error(ErrorCode.BAD_FRAME, "an image or file message needs file.key", f.cid());
            return;
        }
        if (tooLong(f.body(), f.cid())) {
            return;
        }
        if (f.file() != null && !fileAllowed(f.file(), f.cid())) {
            return;
        }
        if (agent != null && f.conv() == null) {
            error(ErrorCode.BAD_FRAME, "an agent's send names its conversation", f.cid());
            return;
        }
        String fileJson = null;
        if (f.file() != null) {
            try {
                fileJson = FrameCodec.mapper().writeValueAsString(f.file());
            } catch (JsonProcessingException e) {
                error(ErrorCode.BAD_FRAME, "unreadable file reference", f.cid());
                return;
            }
        }
        String newStatus = ConvStatus.WAITING;
        String welcome = null;
        if (agent == null && f.conv() == null) {
            // this send may open a conversation: take the site's settings as they are now
            site = hub.accounts.site(site.key()).orElse(site);
            newStatus = hub.assigner.service(site).online() ? ConvStatus.WAITING : ConvStatus.OFFLINE;
            welcome = site.welcome();
        }
        whenStored(f.cid(), hub.store.append(new NewMessage(self, f.conv(), f.cid(), kind, f.body(), fileJson,
                newStatus, welcome), mayUse()));
    }

    /** An internal note: stored apart from messages and shown to agents only. */
    private void note(Frame.Send f) {
        if (agent == null) {
            error(ErrorCode.NOT_ALLOWED, "notes are for agents", f.cid());
            return;
        }
        if (f.body() == null || f.body().isBlank()) {
            error(ErrorCode.BAD_FRAME, "a note needs a non-empty body", f.cid());
            return;
        }
        if (tooLong(f.body(), f.cid())) {
            return;
        }
        hub.store.addNote(self, f.conv(), f.cid(), f.body(), mayUse()).whenComplete((r, ex) -> {
            if (ex != null) {
                serial.execute(() -> error(ErrorCode.SERVER_BUSY, "note not stored; retry", f.cid()));
            } else if (r.isRefused()) {
                serial.execute(() -> error(r.refusal(), r.detail(), f.cid()));
            } else {
                String ack = FrameCodec.encode(new Frame.Ack(f.cid(), r.note().conv(), r.note().nseq(), r.note().ts(), true));
                serial.execute(() -> transport.send(ack));
                if (!r.duplicate()) {
                    hub.noteAdded(r.conversation(), r.note());
                }
            }
        });
    }

    private void status(Frame.AgentStatus f) {
        if (!ConversationHub.ONLINE.equals(f.status()) && !ConversationHub.AWAY.equals(f.status())) {
            error(ErrorCode.BAD_FRAME, "status is online or away", null);
            return;
        }
        hub.setStatus(agent.id(), f.status());
    }

    private void contact(Frame.Contact f) {
        if (f.cid() != null && !validCid(f.cid())) {
            return;
        }
        if (agent != null) {
            error(ErrorCode.NOT_ALLOWED, "contact details come from visitors", f.cid());
            return;
        }
        Frame.Contact clean = new Frame.Contact(null, clip(f.name(), 200), clip(f.email(), 200), clip(f.phone(), 64),
                clip(f.text(), 2000));
        // Stored as conv.contact shows it: the contact's fields, without the frame's "type".
        ObjectNode json = FrameCodec.mapper().valueToTree(clean);
        json.remove("type");
        convChange(hub.store.setContact(f.conv(), json.toString(), mayUse()), f.cid());
    }

    private void recall(Frame.Recall f) {
        if (f.cid() != null && !validCid(f.cid())) {
            return;
        }
        if (f.seq() == null) {
            error(ErrorCode.BAD_FRAME, "recall needs conv and seq", f.cid());
            return;
        }
        long window = hub.config.recallWindowSec() * 1000L;
        hub.store.recall(f.conv(), f.seq(), self.key(), window, mayUse()).whenComplete((r, ex) -> {
            if (ex != null) {
                serial.execute(() -> error(ErrorCode.SERVER_BUSY, "not recalled; retry", f.cid()));
            } else if (r.isRefused()) {
                serial.execute(() -> error(r.refusal(), r.detail(), f.cid()));
            } else {
                hub.recalled(r.conversation(), new Frame.Recalled(f.conv(), f.seq(), party, r.message().recalledAt()),
                        this, f.cid());
            }
        });
    }

    private void rate(Frame.Rate f) {
        if (f.cid() != null && !validCid(f.cid())) {
            return;
        }
        if (agent != null) {
            error(ErrorCode.NOT_ALLOWED, "visitors rate conversations", f.cid());
            return;
        }
        if (f.score() == null || f.score() < 1 || f.score() > 5) {
            error(ErrorCode.BAD_FRAME, "score is 1 to 5", f.cid());
            return;
        }
        convChange(hub.store.rate(f.conv(), f.score(), clip(f.comment(), 1000), mayUse()), f.cid());
    }

    private void invite(Frame.Invite f) {
        if (!validCid(f.cid())) {
            return;
        }
        if (f.body() == null || f.body().isBlank()) {
            error(ErrorCode.BAD_FRAME, "an invite needs a body", f.cid());
            return;
        }
        if (tooLong(f.body(), f.cid())) {
            return;
        }
        Optional<String> siteKey = hub.tracker.sitesOf(f.visitor() == null ? "" : f.visitor()).stream()
                .filter(agent::maySee).findFirst();
        if (siteKey.isEmpty()) {
            error(ErrorCode.BAD_FRAME, "visitor " + f.visitor() + " is not browsing any site of yours", f.cid());
            return;
        }
        whenStored(f.cid(), hub.store.invite(self, siteKey.get(), f.visitor(), f.cid(), f.body()));
    }

    /** Acks once stored, then lets the hub fan the message out; the ack always comes first on this connection. */
    private void whenStored(String cid, CompletableFuture<AppendResult> pending) {
        pending.whenComplete((r, ex) -> {
            if (ex != null) {
                Throwable cause = ex instanceof CompletionException && ex.getCause() != null ? ex.getCause() : ex;
                if (!(cause instanceof GroupCommitWriter.Overloaded)) {
                    log.error("session {}: storing {} failed", id, cid, cause);
                }
                serial.execute(() -> error(ErrorCode.SERVER_BUSY, "not stored: " + cause.getMessage() + "; retry", cid));
                return;
            }
            if (r.isRefused()) {
                serial.execute(() -> error(r.refusal(), r.detail(), cid));
                return;
            }
            StoredMessage m = r.message();
            // Not behind frames this session has yet to handle: the ack's latency is its batch's
            // commit and dispatch. It still precedes this connection's copy of the msg, which
            // published() hands over after this line.
            if (state == State.READY) {
                String ack = FrameCodec.encode(new Frame.Ack(cid, m.conv(), m.seq(), m.ts()));
                if (hub.flushLater(transport)) {
                    transport.sendMore(ack); // written with this batch's other frames, own copy included
                } else {
                    transport.send(ack);
                }
            }
            if (!r.duplicate()) {
                hub.published(r);
            }
        });
    }

    private void sync(Frame.Sync f) {
        Optional<Conversation> c = visible(f.conv());
        if (c.isEmpty()) {
            error(ErrorCode.UNKNOWN_CONV, "no conversation " + f.conv(), null);
            return;
        }
        int limit = f.limit() == null ? Limits.DEFAULT_SYNC_LIMIT
                : Math.max(1, Math.min(Limits.MAX_SYNC_LIMIT, f.limit()));
        List<StoredMessage> items;
        boolean more;
        if (f.after() != null) {
            items = new ArrayList<>(hub.store.messagesAfter(f.conv(), f.after(), limit + 1));
            more = items.size() > limit;
            if (more) {
                items.remove(items.size() - 1);
            }
        } else {
            long before = f.before() != null ? f.before() : c.get().lastSeq() + 1;
            items = hub.store.messagesBefore(f.conv(), before, limit);
            more = !items.isEmpty() && items.get(0).seq() > 1;
        }
        List<Frame.Note> notes = agent == null ? null : hub.store.notes(f.conv()).stream().map(hub::toNote).toList();
        transport.send(FrameCodec.encode(new Frame.Msgs(f.conv(), items.stream().map(m -> hub.toMsg(m, isAdmin())).toList(),
                more, notes)));
    }

    private void read(Frame.Read f) {
        Optional<Conversation> c = visible(f.conv());
        if (c.isEmpty()) {
            error(ErrorCode.UNKNOWN_CONV, "no conversation " + f.conv(), null);
            return;
        }
        if (f.seq() == null || f.seq() < 0 || f.seq() > c.get().lastSeq()) {
            error(ErrorCode.BAD_FRAME, "read.seq must be between 0 and the conversation's last seq", null);
            return;
        }
        Frame.Read relayed = new Frame.Read(f.conv(), f.seq(), party);
        hub.store.markRead(f.conv(), self.key(), f.seq()).whenComplete((moved, ex) -> {
            if (ex == null && moved) {
                hub.readReceipt(c.get(), relayed);
            } else if (ex != null) {
                serial.execute(() -> error(ErrorCode.SERVER_BUSY, "read receipt not stored; retry", null));
            }
        });
    }

    private void typing(Frame.Typing f) {
        Optional<Conversation> c = visible(f.conv());
        if (c.isEmpty()) {
            error(ErrorCode.UNKNOWN_CONV, "no conversation " + f.conv(), null);
            return;
        }
        boolean preview = agent != null
                || hub.accounts.site(c.get().site()).map(SiteRecord::typingPreview).orElse(true);
        hub.typing(c.get(), new Frame.Typing(f.conv(), clip(f.text(), Limits.MAX_BODY_CHARS), party), this, preview);
    }

    private void page(Frame.PageView f) {
        if (agent != null) {
            error(ErrorCode.NOT_ALLOWED, "page frames come from visitors", null);
            return;
        }
        hub.tracker.page(site.key(), visitorId, f).ifPresent(hub::toAgents);
    }

    private void transfer(Frame.Transfer f) {
        Optional<AgentRecord> to = f.to() == null ? Optional.empty() : hub.auth.agent(f.to());
        if (to.isEmpty() || to.get().disabled()) {
            error(ErrorCode.BAD_FRAME, "no active agent " + f.to(), null);
            return;
        }
        AgentRecord target = to.get();
        Predicate<Conversation> both = mayUse().and(c -> target.maySee(c.site()));
        convChange(hub.store.transfer(f.conv(), target.id(), both), null);
    }

    /**
     * Answers a conversation change: a refusal as an error, else a {@code conv} frame (to everyone
     * concerned, or to this client alone when nothing changed). {@code cid}, the one the client sent
     * with its frame (may be null), goes into this client's answer only.
     */
    private void convChange(CompletableFuture<ConvChange> pending, String cid) {
        pending.whenComplete((r, ex) -> {
            if (ex != null) {
                serial.execute(() -> error(ErrorCode.SERVER_BUSY, "not stored; retry", cid));
            } else if (r.isRefused()) {
                serial.execute(() -> error(r.refusal(), r.detail(), cid));
            } else if (r.changed()) {
                hub.conversationChanged(r.conversation(), this, cid);
            } else {
                sendLater(FrameCodec.encode(new Frame.ConvUpdate(hub.convInfo(r.conversation()), cid)));
            }
        });
    }

    private void agentOnly(Frame f, Runnable action) {
        if (agent == null) {
            error(ErrorCode.NOT_ALLOWED, "'" + typeName(f) + "' is for agents", cid(f));
        } else {
            action.run();
        }
    }

    // ---- helpers ----

    /** May this client read and write {@code c}? Visitors: their own; agents: their sites'. */
    private Predicate<Conversation> mayUse() {
        AgentRecord a = agent;
        if (a != null) {
            return c -> a.maySee(c.site());
        }
        String siteKey = site.key();
        String vid = visitorId;
        return c -> siteKey.equals(c.site()) && vid.equals(c.visitorId());
    }

    private Optional<Conversation> visible(String conv) {
        return conv == null ? Optional.empty() : hub.store.conversation(conv).filter(mayUse());
    }

    /** Pushes stored messages of {@code conv} in (after, upTo] to the client and advances {@code delivered}. */
    /**
     * What a welcome is followed by: every message of a resumed conversation above the client's seq,
     * every message of the other live ones, and (agents) their notes. A conversation whose last seq
     * when {@code live} was read is not above the client's is skipped without a query: anything
     * stored since arrives live, as this session registered before that read.
     */
    private void replayAfterWelcome(Map<String, Long> resume, List<Conversation> live) {
        Map<String, Conversation> known = new HashMap<>();
        live.forEach(c -> known.put(c.id(), c));
        Map<String, Long> replayFrom = new LinkedHashMap<>();
        Map<String, Long> lastSeq = new HashMap<>();
        for (Map.Entry<String, Long> e : resume.entrySet()) {
            if (e.getKey() == null) {
                continue;
            }
            Conversation c = known.get(e.getKey());
            if (c == null) { // not live (or not visible): closed ones may still be resumed
                c = hub.store.conversation(e.getKey()).filter(mayUse()).orElse(null);
            }
            if (c != null) {
                replayFrom.put(c.id(), Math.max(0, e.getValue() == null ? 0 : e.getValue()));
                lastSeq.put(c.id(), c.lastSeq());
            }
        }
        for (Conversation c : live) {
            if (c.isLive() && replayFrom.putIfAbsent(c.id(), 0L) == null) {
                lastSeq.put(c.id(), c.lastSeq());
            }
        }
        Map<String, List<StoredNote>> notes = agent == null ? Map.of() : hub.store.notesOfLiveConversations();
        for (Map.Entry<String, Long> e : replayFrom.entrySet()) {
            String conv = e.getKey();
            delivered.put(conv, e.getValue());
            if (lastSeq.get(conv) > e.getValue()) {
                replay(conv, e.getValue(), Long.MAX_VALUE);
            }
            if (agent != null) {
                List<StoredNote> ofConv = known.containsKey(conv) ? notes.getOrDefault(conv, List.of()) : hub.store.notes(conv);
                ofConv.forEach(n -> transport.send(FrameCodec.encode(hub.toNote(n))));
            }
        }
    }

    private void replay(String conv, long after, long upTo) {
        long from = after;
        while (from < upTo) {
            int page = (int) Math.min(REPLAY_PAGE, upTo - from);
            List<StoredMessage> batch = hub.store.messagesAfter(conv, from, page);
            for (StoredMessage m : batch) {
                transport.send(FrameCodec.encode(hub.toMsg(m, isAdmin())));
                from = m.seq();
            }
            if (batch.size() < page) {
                break;
            }
        }
        delivered.merge(conv, from, Math::max);
    }

    /**
     * A file reference must name a key of this relay's storage; a visitor's, one it uploaded itself
     * (else it could send, and then download, anyone's file); declared size and type within limits.
     */
    private boolean fileAllowed(Frame.FileRef file, String cid) {
        boolean mayAttach = hub.files.isValidKey(file.key())
                && (agent == null ? visitorMayAttach(file.key()) : agentMayAttach(file.key()));
        if (!mayAttach) {
            error(ErrorCode.NOT_ALLOWED, "file.key is not one of your uploads", cid);
            return false;
        }
        if (file.size() != null && file.size() > hub.files.config().maxBytes()) {
            error(ErrorCode.TOO_LARGE, "file above " + hub.files.config().maxBytes() + " bytes", cid);
            return false;
        }
        if (file.mime() != null && !hub.files.config().allows(file.mime())) {
            error(ErrorCode.BAD_FRAME, "file type " + file.mime() + " is not allowed", cid);
            return false;
        }
        return true;
    }

    /**
     * A visitor attaches its own uploads; a signed-in user also those made under another id bound to
     * them: a device's upload from before it signed in, still waiting in that browser's outbox.
     */
    private boolean visitorMayAttach(String key) {
        if (key.startsWith(hub.files.visitorPrefix(site.key(), visitorId))) {
            return true;
        }
        String siteRoot = hub.files.config().prefix() + "/v/" + site.key() + "/";
        if (userId == null || !key.startsWith(siteRoot)) {
            return false;
        }
        String uploader = key.substring(siteRoot.length()).split("/", 2)[0];
        return hub.store.userOf(site.key(), uploader).filter(userId::equals).isPresent();
    }

    /**
     * An agent attaches its own uploads, visitors' uploads on its sites, files already sent in a
     * conversation it can see (forwarding), and its quick replies' images; never another site's file.
     */
    private boolean agentMayAttach(String key) {
        if (key.startsWith(hub.files.agentPrefix(agent.id()))) {
            return true;
        }
        String visitorRoot = hub.files.config().prefix() + "/v/";
        if (key.startsWith(visitorRoot)) {
            String siteOfKey = key.substring(visitorRoot.length()).split("/", 2)[0];
            return agent.maySee(siteOfKey);
        }
        for (String conv : hub.fileStore.conversationsWith(key)) {
            if (hub.store.conversation(conv).filter(c -> agent.maySee(c.site())).isPresent()) {
                return true;
            }
        }
        return hub.desk.quickRepliesFor(agent.id(), agent.sites()).stream().anyMatch(q -> key.equals(q.imageKey()));
    }

    private boolean validCid(String cid) {
        if (cid == null || cid.isEmpty() || cid.length() > Limits.MAX_CID_CHARS) {
            error(ErrorCode.BAD_FRAME, "cid must be 1 to " + Limits.MAX_CID_CHARS + " characters", cid);
            return false;
        }
        return true;
    }

    private boolean tooLong(String body, String cid) {
        if (body != null && body.codePointCount(0, body.length()) > Limits.MAX_BODY_CHARS) {
            error(ErrorCode.TOO_LARGE, "body above " + Limits.MAX_BODY_CHARS + " characters", cid);
            return true;
        }
        return false;
    }

    private void error(ErrorCode code, String message, String cid) {
        transport.send(FrameCodec.encode(Frame.Error.of(code, message, cid)));
    }

    private void refuseAndClose(ErrorCode code, String message) {
        error(code, message, null);
        state = State.CLOSED;
        transport.close(CloseCodes.POLICY_VIOLATION, code.wire());
    }

    private static String cid(Frame f) {
        if (f instanceof Frame.Send s) {
            return s.cid();
        }
        if (f instanceof Frame.Invite i) {
            return i.cid();
        }
        if (f instanceof Frame.Contact c) {
            return c.cid();
        }
        if (f instanceof Frame.Rate r) {
            return r.cid();
        }
        if (f instanceof Frame.Recall r) {
            return r.cid();
        }
        return null;
    }

    private static String cidOf(String text) {
        try {
            JsonNode cid = FrameCodec.parse(text).get("cid");
            return cid != null && cid.isTextual() ? cid.asText() : null;
        } catch (FrameException | RuntimeException e) {
            return null;
        }
    }

    private static String typeName(Frame f) {
        return FrameCodec.typeOf(f);
    }

    private static String attrsJson(Frame.VisitorInfo v) {
        if (v.attrs() == null) {
            return null;
        }
        try {
            String json = FrameCodec.mapper().writeValueAsString(v.attrs());
            return json.length() > 8192 ? null : json;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private static String clip(String s, int max) {
        if (s == null || s.codePointCount(0, s.length()) <= max) {
            return s;
        }
        return s.substring(0, s.offsetByCodePoints(0, max));
    }

    /** Whether {@code s} is above {@code limit} bytes once encoded as UTF-8. */
    static boolean exceedsFrameLimit(String s, int limit) {
        if (s.length() * 3L <= limit) {
            return false; // a UTF-16 unit never takes more than 3 bytes
        }
        long bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < 0x80) {
                bytes += 1;
            } else if (ch < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes > limit;
    }

    /** Runs {@code task} on this session's executor once every frame handed in so far was handled. */
    public void afterPending(Runnable task) {
        serial.execute(task);
    }
}

package dev.kefu.relay.conversation;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.kefu.protocol.CloseCodes;
import dev.kefu.protocol.ConvStatus;
import dev.kefu.protocol.ErrorCode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.Role;
import dev.kefu.relay.auth.AuthService;
import dev.kefu.relay.config.RelayConfig;
import dev.kefu.relay.files.FileService;
import dev.kefu.relay.queue.Assigner;
import dev.kefu.relay.queue.Desk;
import dev.kefu.relay.queue.ServiceState;
import dev.kefu.relay.store.AccountStore;
import dev.kefu.relay.store.Ids;
import dev.kefu.relay.store.AgentRecord;
import dev.kefu.relay.store.AppendResult;
import dev.kefu.relay.store.Conversation;
import dev.kefu.relay.store.DeskStore;
import dev.kefu.relay.store.FileStore;
import dev.kefu.relay.store.MessageStore;
import dev.kefu.relay.store.QuickReplyRecord;
import dev.kefu.relay.store.SiteRecord;
import dev.kefu.relay.store.StoredMessage;
import dev.kefu.relay.store.StoredNote;
import dev.kefu.relay.tracking.VisitorTracker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Who is connected, and fan-out: every stored message, conversation change, note, read receipt,
 * typing draft, queue position and visitor event goes from here to the connections that may see
 * it. Per-connection protocol state lives in {@link ClientSession}; durable state in the
 * {@link MessageStore}; queue and assignment in the {@link Assigner}, for which this is the
 * {@link Desk}.
 */
public final class ConversationHub implements Desk, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConversationHub.class);
    public static final String ONLINE = "online";
    public static final String AWAY = "away";
    public static final String OFFLINE = "offline";

    final RelayConfig config;
    final MessageStore store;
    final AuthService auth;
    final AccountStore accounts;
    final DeskStore desk;
    final VisitorTracker tracker;
    final Assigner assigner;
    private final ExecutorService workers;
    private final ScheduledExecutorService timer;

    /** Transports with frames left batched by the dispatch thread (that thread only). */
    private final Set<Transport> toFlush = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private final Set<ClientSession> sessions = ConcurrentHashMap.newKeySet();
    private final Set<ClientSession> agents = ConcurrentHashMap.newKeySet();
    private final Map<String, Set<ClientSession>> visitors = new ConcurrentHashMap<>();
    private final Map<String, String> agentStatus = new ConcurrentHashMap<>();
    private final Map<String, String> agentNames = new ConcurrentHashMap<>();
    /** Connections that stopped reading while the store is backlogged: how each resumes. */
    private final Set<Runnable> heldReaders = ConcurrentHashMap.newKeySet();
    private final Counter stored;
    private final Counter framesIn;
    private final AtomicInteger sessionSeq = new AtomicInteger();
    /** How often connections are checked for a due ping or a silent peer. */
    static final long HEARTBEAT_TICK_MS = 250;
    /** Longest an {@code agents} frame lags the change that caused it. */
    static final long AGENT_LIST_COALESCE_MS = 100;
    private final AtomicBoolean agentListDue = new AtomicBoolean();

    final FileService files;
    final FileStore fileStore;
    /** The id of this store's history, sent in every welcome; a restore from backup gives a new one. */
    final String epoch;

    public ConversationHub(RelayConfig config, MessageStore store, AuthService auth, AccountStore accounts,
                           DeskStore desk, VisitorTracker tracker, MeterRegistry meters, FileService files,
                           FileStore fileStore) {
        this.files = files;
        this.fileStore = fileStore;
        this.config = config;
        this.store = store;
        this.auth = auth;
        this.accounts = accounts;
        this.epoch = accounts.settingIfAbsent(AccountStore.EPOCH, Ids.random(22));
        this.desk = desk;
        this.tracker = tracker;
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(Math.max(4, Runtime.getRuntime().availableProcessors() * 2), r -> {
            Thread t = new Thread(r, "kefu-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kefu-hub-timer"); // heartbeats, coalesced broadcasts
            t.setDaemon(true);
            return t;
        });
        this.stored = Counter.builder("kefu.messages.stored").description("Messages stored (not counting resends)")
                .register(meters);
        this.framesIn = Counter.builder("kefu.frames.in").description("Frames received from clients").register(meters);
        meters.gauge("kefu.connections", sessions, Set::size);
        meters.gauge("kefu.connections.held", heldReaders, Set::size);
        meters.gauge("kefu.connections.agents", agents, Set::size);
        meters.gauge("kefu.visitors.online", tracker, VisitorTracker::size);
        // Each connection is pinged once per heartbeat, when its own is due. A short tick spreads
        // those pings evenly: with a tick of heartbeat/4, a quarter of all connections (2,500 of
        // 10,000) were pinged, and answered, in one burst that delayed the chat messages behind it.
        long tickMs = Math.min(HEARTBEAT_TICK_MS, Math.max(100, config.heartbeatSec() * 1000L / 4));
        timer.scheduleAtFixedRate(this::heartbeat, tickMs, tickMs, TimeUnit.MILLISECONDS);
        store.onBatch(this::releaseReaders);
        store.afterDispatch(this::flushDispatched);
        this.assigner = new Assigner(store, accounts, this, Clock.systemUTC(), config.queueTickMs());
        auth.onConversationsMoved(this::conversationsMoved);
    }

    /** A new connection: the transport forwards its frames to the returned session. */
    public ClientSession open(Transport transport) {
        ClientSession s = new ClientSession(this, transport, "s" + sessionSeq.incrementAndGet());
        sessions.add(s);
        return s;
    }

    void countFrameIn() {
        framesIn.increment();
    }

    // ---- membership (called from a session's serial executor) ----

    void registerAgent(ClientSession s) {
        agents.add(s);
        agentStatus.putIfAbsent(s.agent().id(), ONLINE);
        agentsChanged();
    }

    void registerVisitor(ClientSession s, String site, String visitorId) {
        visitors.computeIfAbsent(site + "/" + visitorId, k -> ConcurrentHashMap.newKeySet()).add(s);
    }

    void closed(ClientSession s) {
        sessions.remove(s);
        if (agents.remove(s)) {
            String id = s.agent().id();
            if (agents.stream().noneMatch(a -> a.agent().id().equals(id))) {
                agentStatus.remove(id);
            }
            agentsChanged();
        }
        if (s.site() != null && s.visitorId() != null) {
            visitors.computeIfPresent(s.site() + "/" + s.visitorId(), (k, set) -> {
                set.remove(s);
                return set.isEmpty() ? null : set;
            });
            tracker.disconnected(s.site(), s.visitorId()).ifPresent(this::toAgents);
        }
    }

    /** An agent chose online or away. */
    void setStatus(String agentId, String status) {
        if (!status.equals(agentStatus.put(agentId, status))) {
            agentsChanged();
        }
    }

    /**
     * Agents' presence or load changed: the queue runs again, and every agent gets the new list.
     * The list is a snapshot read from the store, so a burst of changes (a thousand conversations
     * opened in a second) coalesces into one broadcast per {@link #AGENT_LIST_COALESCE_MS}.
     */
    void agentsChanged() {
        assigner.poke();
        if (agentListDue.compareAndSet(false, true)) {
            try {
                timer.schedule(this::broadcastAgentList, AGENT_LIST_COALESCE_MS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                agentListDue.set(false); // closing: nobody left to tell
            }
        }
    }

    private void broadcastAgentList() {
        agentListDue.set(false); // a change from here on schedules another broadcast
        try {
            String json = FrameCodec.encode(agentList());
            for (ClientSession a : agents) {
                a.sendLater(json);
            }
        } catch (RuntimeException e) {
            log.error("agent list broadcast failed", e);
        }
    }

    /** The {@code agents} frame (for the REST API too). */
    public Frame.AgentList agentListFrame() {
        return agentList();
    }

    /** A stored message as a {@code msg} frame for a viewer (admins see recalled bodies). */
    public Frame.Msg msgFrame(StoredMessage m, boolean admin) {
        return toMsg(m, admin);
    }

    public Frame.ConvInfo convInfoFor(Conversation c) {
        return convInfo(c);
    }

    public String agentDisplayName(String agentId) {
        return agentName(agentId);
    }

    /** Disconnects every connection of an agent (disabled by an admin). */
    public void kickAgent(String agentId) {
        String json = FrameCodec.encode(Frame.Error.of(ErrorCode.BAD_TOKEN, "your account was disabled"));
        for (ClientSession a : agents) {
            if (a.agent().id().equals(agentId)) {
                a.sendLater(json);
                a.closeLater(CloseCodes.POLICY_VIOLATION, ErrorCode.BAD_TOKEN.wire());
            }
        }
    }

    Frame.AgentList agentList() {
        Map<String, Integer> open = store.openCounts();
        List<Frame.AgentInfo> list = new ArrayList<>();
        for (AgentRecord a : accounts.agents()) {
            if (!a.disabled()) {
                list.add(new Frame.AgentInfo(a.id(), a.shownName(), agentStatus.getOrDefault(a.id(), OFFLINE),
                        open.getOrDefault(a.id(), 0), a.capacity()));
            }
        }
        return new Frame.AgentList(list);
    }

    // ---- Desk, for the assigner ----

    @Override
    public List<AgentRecord> availableAgents(String site) {
        Map<String, AgentRecord> out = new java.util.LinkedHashMap<>();
        for (ClientSession a : agents) {
            AgentRecord r = a.agent();
            if (ONLINE.equals(agentStatus.get(r.id())) && r.maySee(site) && !r.disabled()) {
                out.putIfAbsent(r.id(), r);
            }
        }
        return List.copyOf(out.values());
    }

    @Override
    public void conversationChanged(Conversation conv) {
        conversationChanged(conv, null, null);
    }

    /** As {@link #conversationChanged(Conversation)}; {@code answering}'s copy carries {@code cid} when not null. */
    void conversationChanged(Conversation conv, ClientSession answering, String cid) {
        Frame.ConvInfo info = convInfo(conv);
        String json = FrameCodec.encode(new Frame.ConvUpdate(info));
        String answer = cid == null ? json : FrameCodec.encode(new Frame.ConvUpdate(info, cid));
        for (ClientSession s : participants(conv)) {
            s.sendLater(s == answering ? answer : json);
        }
        if (!ConvStatus.WAITING.equals(conv.status())) {
            agentsChanged(); // open counts moved
        } else {
            assigner.poke();
        }
    }

    @Override
    public void queuePosition(Conversation conv, int position, long etaSec) {
        toVisitor(conv.site(), conv.visitorId(), FrameCodec.encode(new Frame.QueueUpdate(conv.id(), position, etaSec)));
    }

    @Override
    public void serviceChanged(String site, ServiceState state) {
        accounts.site(site).ifPresent(s -> {
            String json = FrameCodec.encode(serviceFrame(s, state));
            visitors.forEach((key, set) -> {
                if (key.startsWith(site + "/")) {
                    set.forEach(v -> v.sendLater(json));
                }
            });
        });
    }

    /** The store's epoch, as sent in every welcome. */
    public String epoch() {
        return epoch;
    }

    Frame.Service serviceFrame(SiteRecord site, ServiceState state) {
        return new Frame.Service(state.online(), state.reason(), site.name(), site.welcome(), site.typingPreview());
    }

    // ---- fan-out ----

    /** A message was stored (not a resend): tell every participant, after any conversation change. */
    /**
     * Whether a frame for {@code t} may be left batched in Jetty by the caller: on the store's
     * dispatch thread it may, and is flushed with every other frame of the same batch once the
     * batch's acks and deliveries are all handed over ({@link #flushDispatched}). A visitor's ack and
     * its own copy of the message then leave in one write, and an agent gets a batch's messages in
     * one write, without a worker thread woken for either.
     */
    boolean flushLater(Transport t) {
        if (!store.onDispatchThread()) {
            return false;
        }
        toFlush.add(t);
        return true;
    }

    /** On the dispatch thread, after each batch: writes what {@link #flushLater} left batched. */
    private void flushDispatched() {
        for (Transport t : toFlush) {
            try {
                t.flush();
            } catch (RuntimeException e) {
                log.debug("flush failed: {}", e.toString());
            }
        }
        toFlush.clear();
    }

    void published(AppendResult r) {
        Conversation conv = r.conversation();
        if (r.conversationChanged()) {
            conversationChanged(conv);
        }
        publish(conv, r.message());
        for (StoredMessage m : r.followUps()) {
            publish(conv, m);
        }
    }

    private void publish(Conversation conv, StoredMessage m) {
        stored.increment();
        Frame.Msg msg = toMsg(m, false);
        String json = FrameCodec.encode(msg);
        for (ClientSession s : participants(conv)) {
            s.deliver(msg, json);
        }
    }

    /** Notes go to agents only. */
    void noteAdded(Conversation conv, StoredNote note) {
        String json = FrameCodec.encode(toNote(note));
        for (ClientSession a : agents) {
            if (a.agent().maySee(conv.site())) {
                a.sendLater(json);
            }
        }
    }

    /** Tells every participant; {@code answering}'s copy carries {@code cid} when not null. */
    void recalled(Conversation conv, Frame.Recalled frame, ClientSession answering, String cid) {
        String json = FrameCodec.encode(frame);
        String answer = cid == null ? json : FrameCodec.encode(new Frame.Recalled(frame.conv(), frame.seq(),
                frame.from(), frame.ts(), cid));
        for (ClientSession s : participants(conv)) {
            s.sendLater(s == answering ? answer : json);
        }
    }

    void readReceipt(Conversation conv, Frame.Read read) {
        String json = FrameCodec.encode(read);
        for (ClientSession s : participants(conv)) {
            s.sendLater(json);
        }
    }

    /** Typing: agents see the draft text (unless the site turned that off); the visitor only sees that someone types. */
    void typing(Conversation conv, Frame.Typing typing, ClientSession from, boolean preview) {
        String withText = FrameCodec.encode(preview ? typing : new Frame.Typing(typing.conv(), null, typing.from()));
        String withoutText = FrameCodec.encode(new Frame.Typing(typing.conv(), null, typing.from()));
        for (ClientSession s : participants(conv)) {
            if (s != from) {
                s.sendLater(s.isAgent() ? withText : withoutText);
            }
        }
    }

    void toAgents(Frame.VisitorEvent event) {
        String json = FrameCodec.encode(event);
        for (ClientSession s : agents) {
            if (s.agent().maySee(event.visitor().site())) {
                s.sendLater(json);
            }
        }
    }

    private void toVisitor(String site, String visitorId, String json) {
        Set<ClientSession> v = visitors.get(site + "/" + visitorId);
        if (v != null) {
            v.forEach(s -> s.sendLater(json));
        }
    }

    /** Disconnects a blocked visitor's connections: by id, or every visitor of the site at {@code ip}. */
    public void kick(String site, String visitorId, String ip) {
        String json = FrameCodec.encode(Frame.Error.of(ErrorCode.NOT_ALLOWED, "you cannot chat on this site"));
        visitors.forEach((key, set) -> {
            if (!key.startsWith(site + "/")) {
                return;
            }
            for (ClientSession s : set) {
                boolean byId = visitorId != null && visitorId.equals(s.visitorId());
                boolean byIp = ip != null && ip.equals(s.transport().remoteAddress());
                if (byId || byIp) {
                    s.sendLater(json);
                    s.closeLater(CloseCodes.POLICY_VIOLATION, ErrorCode.NOT_ALLOWED.wire());
                }
            }
        });
    }

    /**
     * A browser's visitor id was bound to a signed-in user just now: its anonymous connections (a
     * tab that connected before the sign-in) may no longer see what this user does. They get the
     * answer an anonymous hello with that id now gets, and are closed.
     */
    void signedIn(String site, String presentedId) {
        Set<ClientSession> set = visitors.get(site + "/" + presentedId);
        if (set == null) {
            return;
        }
        String json = FrameCodec.encode(Frame.Error.of(ErrorCode.IDENTITY_REQUIRED,
                "this visitor id now belongs to a signed-in user; connect with a new id"));
        for (ClientSession s : set) {
            if (s.isAnonymousVisitor()) {
                s.sendLater(json);
                s.closeLater(CloseCodes.POLICY_VIOLATION, ErrorCode.IDENTITY_REQUIRED.wire());
            }
        }
    }

    /**
     * A sign-in moved an anonymous browser's conversations to the user's visitor: agents, and the
     * user's other devices, get each one as a {@code conv} frame naming that visitor, and a waiting
     * one's queue place is told again (to the user's connections now). The browser's anonymous
     * connections are closed by {@link #signedIn}; nothing else here holds a conversation by visitor.
     */
    void conversationsMoved(List<Conversation> moved) {
        for (Conversation conv : moved) {
            conversationChanged(conv);
            if (ConvStatus.WAITING.equals(conv.status())) {
                assigner.retell(conv.id());
            }
        }
    }

    /** Whether a browser page from {@code origin} may talk to {@code siteKey}'s visitor endpoints (CORS). */
    public boolean originAllowed(String siteKey, String origin) {
        if (siteKey == null) {
            return true; // nothing to check yet: the hello check refuses unknown sites and origins
        }
        return accounts.site(siteKey).map(s -> s.origins().isEmpty() || s.origins().contains(origin)).orElse(true);
    }

    /** Quick replies changed: each connected agent gets its new list. */
    public void quickRepliesChanged() {
        for (ClientSession a : agents) {
            a.sendLater(FrameCodec.encode(quickReplies(a.agent())));
        }
    }

    /** A site's settings or an agent changed: re-read them on the next use and run the queue again. */
    public void settingsChanged() {
        agentNames.clear();
        agentsChanged();
    }

    Frame.QuickReplies quickReplies(AgentRecord agent) {
        List<Frame.QuickReply> items = new ArrayList<>();
        for (QuickReplyRecord q : desk.quickRepliesFor(agent.id(), agent.sites())) {
            items.add(new Frame.QuickReply(q.id(), q.site(), q.isShared(), q.shortcut(), q.text(), q.imageKey()));
        }
        return new Frame.QuickReplies(items);
    }

    private Set<ClientSession> participants(Conversation conv) {
        Set<ClientSession> out = new HashSet<>();
        Set<ClientSession> v = visitors.get(conv.site() + "/" + conv.visitorId());
        if (v != null) {
            out.addAll(v);
        }
        for (ClientSession a : agents) {
            if (a.agent().maySee(conv.site())) {
                out.add(a);
            }
        }
        return out;
    }

    // ---- conversions ----

    /** A stored message as a {@code msg} frame. A recalled message keeps its body for admins only. */
    Frame.Msg toMsg(StoredMessage m, boolean admin) {
        Frame.FileRef file = null;
        if (m.fileJson() != null && (admin || !m.isRecalled())) {
            try {
                file = FrameCodec.mapper().readValue(m.fileJson(), Frame.FileRef.class);
            } catch (JsonProcessingException e) {
                log.warn("stored file reference of {}#{} unreadable: {}", m.conv(), m.seq(), e.getOriginalMessage());
            }
        }
        String body = m.isRecalled() && !admin ? null : m.body();
        return new Frame.Msg(m.conv(), m.seq(), m.cid(), new Frame.Party(m.fromRole(), m.fromId(), m.fromName()),
                m.kind(), body, file, m.ts(), m.isRecalled() ? Boolean.TRUE : null);
    }

    Frame.Note toNote(StoredNote n) {
        return new Frame.Note(n.conv(), n.nseq(), n.cid(), new Frame.Party(Role.AGENT, n.authorId(), n.author()),
                n.body(), n.afterSeq(), n.ts());
    }

    Frame.ConvInfo convInfo(Conversation c) {
        String visitorName = tracker.find(c.site(), c.visitorId()).map(Frame.VisitorPresence::name).orElse(null);
        Frame.Contact contact = null;
        if (c.contactJson() != null) {
            // Rows from older relays hold the contact frame's "type" too: read either way, never sent.
            try {
                contact = FrameCodec.mapper().readValue(c.contactJson(), Frame.Contact.class);
            } catch (JsonProcessingException e) {
                log.warn("stored contact of {} unreadable", c.id());
            }
        }
        return new Frame.ConvInfo(c.id(), c.site(), c.status(), c.visitorId(), visitorName, c.agentId(),
                agentName(c.agentId()), c.lastSeq(), c.createdAt(), contact, c.rating(), c.ratingComment());
    }

    String agentName(String agentId) {
        if (agentId == null) {
            return null;
        }
        return agentNames.computeIfAbsent(agentId,
                id -> auth.agent(id).map(AgentRecord::shownName).orElse(id));
    }

    // ---- backpressure ----

    /**
     * Whether {@code client}'s connection should wait before reading its next frame: yes while the
     * store's write queue is backlogged, and then {@code resume} runs (on a worker) once the backlog
     * has cleared. Past its capacity the relay then commits at capacity, rather than reading frames
     * only to answer {@code server_busy} to them. Meanwhile the heartbeat does not take the client
     * for silent: its pongs are among the frames left unread.
     */
    public boolean holdReading(ClientSession client, Runnable resume) {
        if (!store.isBacklogged()) {
            return false;
        }
        client.holdReads();
        heldReaders.add(() -> {
            client.releaseReads();
            resume.run();
        });
        releaseReaders(); // the backlog may have cleared meanwhile
        return true;
    }

    /** Lets held connections read again if the backlog has cleared; after every commit and every tick. */
    private void releaseReaders() {
        if (heldReaders.isEmpty() || !store.isBacklogCleared()) {
            return;
        }
        try {
            workers.execute(() -> {
                for (Runnable r : heldReaders) {
                    if (heldReaders.remove(r)) {
                        r.run();
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            heldReaders.clear(); // closing
        }
    }

    // ---- liveness ----

    private void heartbeat() {
        try {
            long now = System.nanoTime();
            long hbNanos = TimeUnit.SECONDS.toNanos(config.heartbeatSec());
            for (ClientSession s : sessions) {
                s.heartbeat(now, hbNanos);
            }
            releaseReaders();
        } catch (RuntimeException e) {
            log.error("heartbeat tick failed", e);
        }
    }

    /** The pool that runs session work (store reads included); never Jetty's I/O threads. */
    public ExecutorService workers() {
        return workers;
    }

    public int connectionCount() {
        return sessions.size();
    }

    /** Tells every client the relay is restarting (they reconnect and resume), then stops the pools. */
    @Override
    public void close() {
        timer.shutdownNow();
        for (ClientSession s : sessions) {
            s.transport().close(CloseCodes.SERVICE_RESTART, "relay restarting");
        }
        assigner.close();
        workers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

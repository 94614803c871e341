package dev.kefu.relay.conversation;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.kefu.protocol.CloseCodes;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.relay.auth.AuthService;
import dev.kefu.relay.config.RelayConfig;
import dev.kefu.relay.store.AgentRecord;
import dev.kefu.relay.store.AppendResult;
import dev.kefu.relay.store.Conversation;
import dev.kefu.relay.store.MessageStore;
import dev.kefu.relay.store.StoredMessage;
import dev.kefu.relay.tracking.VisitorTracker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Who is connected, and fan-out: every stored message, conversation change, read receipt, typing
 * draft and visitor event goes from here to the connections that may see it. Per-connection
 * protocol state lives in {@link ClientSession}; durable state in the {@link MessageStore}.
 */
public final class ConversationHub implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConversationHub.class);

    final RelayConfig config;
    final MessageStore store;
    final AuthService auth;
    final VisitorTracker tracker;
    private final ExecutorService workers;
    private final ScheduledExecutorService timer;

    private final Set<ClientSession> sessions = ConcurrentHashMap.newKeySet();
    private final Set<ClientSession> agents = ConcurrentHashMap.newKeySet();
    private final Map<String, Set<ClientSession>> visitors = new ConcurrentHashMap<>();
    private final Map<String, String> agentNames = new ConcurrentHashMap<>();
    private final Counter stored;
    private final Counter framesIn;
    private final AtomicInteger sessionSeq = new AtomicInteger();

    public ConversationHub(RelayConfig config, MessageStore store, AuthService auth, VisitorTracker tracker,
                           MeterRegistry meters) {
        this.config = config;
        this.store = store;
        this.auth = auth;
        this.tracker = tracker;
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(Math.max(4, Runtime.getRuntime().availableProcessors() * 2), r -> {
            Thread t = new Thread(r, "kefu-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kefu-heartbeat");
            t.setDaemon(true);
            return t;
        });
        this.stored = Counter.builder("kefu.messages.stored").description("Messages stored (not counting resends)")
                .register(meters);
        this.framesIn = Counter.builder("kefu.frames.in").description("Frames received from clients").register(meters);
        meters.gauge("kefu.connections", sessions, Set::size);
        meters.gauge("kefu.connections.agents", agents, Set::size);
        meters.gauge("kefu.visitors.online", tracker, VisitorTracker::size);
        long tickMs = Math.max(100, config.heartbeatSec() * 1000L / 4);
        timer.scheduleAtFixedRate(this::heartbeat, tickMs, tickMs, TimeUnit.MILLISECONDS);
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
    }

    void registerVisitor(ClientSession s, String site, String visitorId) {
        visitors.computeIfAbsent(site + "/" + visitorId, k -> ConcurrentHashMap.newKeySet()).add(s);
    }

    void closed(ClientSession s) {
        sessions.remove(s);
        agents.remove(s);
        if (s.site() != null && s.visitorId() != null) {
            visitors.computeIfPresent(s.site() + "/" + s.visitorId(), (k, set) -> {
                set.remove(s);
                return set.isEmpty() ? null : set;
            });
            tracker.disconnected(s.site(), s.visitorId()).ifPresent(this::toAgents);
        }
    }

    // ---- fan-out ----

    /** A message was stored (not a resend): tell every participant, after any conversation change. */
    void published(AppendResult r) {
        Conversation conv = r.conversation();
        if (r.conversationChanged()) {
            conversationChanged(conv);
        }
        stored.increment();
        Frame.Msg msg = toMsg(r.message());
        String json = FrameCodec.encode(msg);
        for (ClientSession s : participants(conv)) {
            s.deliver(msg, json);
        }
    }

    void conversationChanged(Conversation conv) {
        String json = FrameCodec.encode(new Frame.ConvUpdate(convInfo(conv)));
        for (ClientSession s : participants(conv)) {
            s.sendLater(json);
        }
    }

    void readReceipt(Conversation conv, Frame.Read read) {
        String json = FrameCodec.encode(read);
        for (ClientSession s : participants(conv)) {
            s.sendLater(json);
        }
    }

    /** Typing: agents see the draft text; the visitor only sees that someone types. */
    void typing(Conversation conv, Frame.Typing typing, ClientSession from) {
        String withText = FrameCodec.encode(typing);
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

    private Set<ClientSession> participants(Conversation conv) {
        Set<ClientSession> out = new java.util.HashSet<>();
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

    Frame.Msg toMsg(StoredMessage m) {
        Frame.FileRef file = null;
        if (m.fileJson() != null) {
            try {
                file = FrameCodec.mapper().readValue(m.fileJson(), Frame.FileRef.class);
            } catch (JsonProcessingException e) {
                log.warn("stored file reference of {}#{} unreadable: {}", m.conv(), m.seq(), e.getOriginalMessage());
            }
        }
        return new Frame.Msg(m.conv(), m.seq(), m.cid(), new Frame.Party(m.fromRole(), m.fromId(), m.fromName()),
                m.kind(), m.body(), file, m.ts());
    }

    Frame.ConvInfo convInfo(Conversation c) {
        String visitorName = tracker.find(c.site(), c.visitorId()).map(Frame.VisitorPresence::name).orElse(null);
        return new Frame.ConvInfo(c.id(), c.site(), c.status(), c.visitorId(), visitorName, c.agentId(),
                agentName(c.agentId()), c.lastSeq(), c.createdAt());
    }

    String agentName(String agentId) {
        if (agentId == null) {
            return null;
        }
        return agentNames.computeIfAbsent(agentId,
                id -> auth.agent(id).map(AgentRecord::shownName).orElse(id));
    }

    // ---- liveness ----

    private void heartbeat() {
        try {
            long now = System.nanoTime();
            long hbNanos = TimeUnit.SECONDS.toNanos(config.heartbeatSec());
            for (ClientSession s : sessions) {
                s.heartbeat(now, hbNanos);
            }
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
        workers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

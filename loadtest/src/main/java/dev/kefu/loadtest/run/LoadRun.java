package dev.kefu.loadtest.run;

import dev.kefu.loadtest.books.Latency;
import dev.kefu.loadtest.books.Ledger;
import dev.kefu.loadtest.client.Agent;
import dev.kefu.loadtest.client.Auditor;
import dev.kefu.loadtest.client.SimClient;
import dev.kefu.loadtest.client.Swarm;
import dev.kefu.loadtest.client.Visitor;
import dev.kefu.loadtest.relay.RelayProbe;

import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;

/**
 * One load run against one relay: a population of simulated agents and visitors, a message
 * generator, the books ({@link Ledger}), a meter printing a progress line every second, and the
 * steps scenarios are made of (connect, chat, settle, audit). Scenarios live in the CLI commands.
 */
public final class LoadRun implements AutoCloseable {
    /**
     * @param url           the relay (http://host:port) agents use, and visitors unless routed elsewhere
     * @param agentUsers    usernames of the agents, all with {@code agentPassword}
     * @param lpShare       share of visitors on long-poll (0..1), the rest on WebSocket
     * @param replyRatio    share of visitor messages an agent answers (0..1)
     * @param rampPerSecond new visitor connections started per second
     * @param socketIo      every client speaks Socket.IO (to the peer) instead of Kefu's protocol: over Engine.IO
     *                      WebSockets, and the {@code lpShare} of visitors over Engine.IO HTTP long-polling
     * @param wsDeflate     WebSocket clients offer permessage-deflate, as browsers do
     */
    public record Settings(URI url, String site, List<String> agentUsers, String agentPassword, double lpShare,
                           double replyRatio, double rampPerSecond, Duration connectTimeout, String runId,
                           boolean socketIo, boolean wsDeflate) {}

    private final Settings settings;
    private final Ledger ledger;
    private final Swarm swarm;
    private final RelayProbe probe;
    private final Meter meter;
    private final List<Visitor> visitors = new Roster<>();
    private final List<Agent> agents = new Roster<>();
    private final List<Map<String, Object>> phases = new ArrayList<>();
    private final PrintStream out;
    private Generator generator;

    public LoadRun(Settings settings, LongSupplier relayPid, PrintStream out, boolean progress) throws Exception {
        this.settings = settings;
        this.out = out;
        this.ledger = new Ledger(settings.agentUsers().size());
        this.swarm = new Swarm(ledger, settings.connectTimeout(), settings.wsDeflate());
        this.probe = new RelayProbe(swarm.http(), settings.url(), relayPid);
        this.meter = new Meter(this, progress ? out : null);
    }

    public Ledger ledger() {
        return ledger;
    }

    public Swarm swarm() {
        return swarm;
    }

    public RelayProbe probe() {
        return probe;
    }

    public Meter meter() {
        return meter;
    }

    public Settings settings() {
        return settings;
    }

    public List<Visitor> visitors() {
        return visitors;
    }

    public List<Agent> agents() {
        return agents;
    }

    public double offeredRate() {
        Generator g = generator;
        return g == null ? 0 : g.rate;
    }

    public void log(String line) {
        out.println(line);
        out.flush();
    }

    // ---- population ----

    /**
     * Logs every agent in, connects them (agent {@code i} to {@code baseFor(i)}) and waits until each
     * holds what its welcome listed.
     */
    public void connectAgents(IntFunction<URI> baseFor, Duration timeout) throws Exception {
        for (int i = 0; i < settings.agentUsers().size(); i++) {
            Agent a = new Agent(swarm, i, baseFor.apply(i), settings.socketIo() ? "sio" : "ws",
                    settings.agentUsers().get(i), settings.agentPassword(),
                    settings.agentUsers().size(), settings.replyRatio(), settings.runId());
            a.login();
            agents.add(a);
            swarm.add(a);
            a.start();
        }
        if (!await(timeout, () -> agents.stream().allMatch(SimClient::isCaughtUp))) {
            throw new IllegalStateException("agents not all connected within " + timeout.toSeconds() + " s; errors "
                    + swarm.errorCodes() + ", losses " + swarm.lossReasons());
        }
    }

    /**
     * Adds {@code count} visitors, starting {@link Settings#rampPerSecond} connections a second;
     * {@code baseFor} gives each new visitor's relay address by index (direct or via a proxy).
     * Returns whether all were connected within {@code timeout}.
     */
    public boolean addVisitors(int count, IntFunction<URI> baseFor, Duration timeout) {
        int first = visitors.size();
        long start = System.nanoTime();
        double apart = 1e9 / settings.rampPerSecond();
        for (int i = first; i < first + count; i++) {
            String transport = settings.socketIo() ? (lp(i) ? "sio-lp" : "sio") : lp(i) ? "lp" : "ws";
            Visitor v = new Visitor(swarm, i, baseFor.apply(i), transport, settings.site(), settings.runId());
            visitors.add(v);
            swarm.add(v);
            long due = start + (long) ((i - first) * apart);
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            v.start();
        }
        return await(timeout, () -> readyVisitors() == visitors.size());
    }

    /** The {@code lpShare} of visitors, spread evenly over the indexes. */
    private boolean lp(int i) {
        double share = settings.lpShare();
        return share > 0 && Math.floor((i + 1) * share) > Math.floor(i * share);
    }

    public int readyVisitors() {
        int n = 0;
        for (Visitor v : visitors) {
            if (v.isReady()) {
                n++;
            }
        }
        return n;
    }

    public int readyAgents() {
        int n = 0;
        for (Agent a : agents) {
            if (a.isReady()) {
                n++;
            }
        }
        return n;
    }

    /** Visitors on long-poll: Kefu's ({@code lp}) or the Socket.IO peer's ({@code sio-lp}). */
    public long longPollVisitors() {
        return visitors.stream().filter(v -> SimClient.longPoll(v.transport())).count();
    }

    /** How many clients of each role ({@code visitors}, {@code agents}) are on each transport. */
    public Map<String, Long> clientsByTransport() {
        Map<String, Long> out = new java.util.TreeMap<>();
        for (Visitor v : visitors) {
            out.merge("visitors/" + v.transport(), 1L, Long::sum);
        }
        for (Agent a : agents) {
            out.merge("agents/" + a.transport(), 1L, Long::sum);
        }
        return out;
    }

    // ---- chat ----

    /** Starts (or retunes) the message generator at {@code rate} visitor messages a second in total. */
    public synchronized void chatAt(double rate) {
        swarm.chatting(true);
        if (generator == null) {
            generator = new Generator(rate);
            generator.start();
        } else {
            generator.retune(rate);
        }
    }

    /** Stops new messages (visitors and agents' replies); outboxes still drain. */
    public synchronized void stopChat() {
        swarm.chatting(false);
        if (generator != null) {
            generator.halt();
            generator = null;
        }
    }

    /** Runs at {@code rate} for {@code seconds} as one measured phase named {@code name}; returns its summary. */
    public Map<String, Object> phase(String name, double rate, double warmupSeconds, double seconds) {
        chatAt(rate);
        sleep(warmupSeconds);
        return measure(name, rate, seconds);
    }

    /** Measures {@code seconds} of whatever runs now as a phase. */
    public Map<String, Object> measure(String name, double rate, double seconds) {
        markAll();
        long ackedBefore = ledger.acked.sum();
        long deliveredBefore = ledger.delivered.sum();
        long t0 = System.nanoTime();
        RelayProbe.Sample before = probe.sample();
        sleep(seconds);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        meter.flip();
        RelayProbe.Sample after = probe.sample();
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("name", name);
        p.put("offeredPerSecond", rate);
        p.put("seconds", Math.round(elapsed * 10) / 10.0);
        p.put("ackedPerSecond", Math.round((ledger.acked.sum() - ackedBefore) / elapsed));
        p.put("deliveredPerSecond", Math.round((ledger.delivered.sum() - deliveredBefore) / elapsed));
        p.put("visitorsReady", readyVisitors());
        p.put("ack", Latency.summary(ledger.ack.window()));
        p.put("visitorToAgent", Latency.summary(ledger.visitorToAgent.window()));
        p.put("agentToVisitor", Latency.summary(ledger.agentToVisitor.window()));
        p.put("ackLongPoll", Latency.summary(ledger.ackLongPoll.window()));
        p.put("visitorToAgentLongPoll", Latency.summary(ledger.visitorToAgentLongPoll.window()));
        p.put("agentToVisitorLongPoll", Latency.summary(ledger.agentToVisitorLongPoll.window()));
        p.put("relayCpuCores", round2(after.coresSince(before)));
        p.put("relayHeapBytes", after.heapUsed());
        p.put("relayRssBytes", after.rss());
        p.put("generatorBehindMs", generatorLagMs());
        phases.add(p);
        return p;
    }

    static double round2(double v) {
        return Math.round(v * 100) / 100.0;
    }

    public long generatorLagMs() {
        Generator g = generator;
        return g == null ? 0 : g.worstLagNanos / 1_000_000;
    }

    public void markAll() {
        for (Latency l : latencies()) {
            l.mark();
        }
    }

    List<Latency> latencies() {
        return List.of(ledger.ack, ledger.visitorToAgent, ledger.agentToVisitor, ledger.resume, ledger.recovery,
                ledger.connect, ledger.ackLongPoll, ledger.visitorToAgentLongPoll, ledger.agentToVisitorLongPoll);
    }

    public List<Map<String, Object>> phases() {
        return phases;
    }

    /**
     * Stops new messages and waits until every outbox drained (each message acked or refused) and
     * every acked message reached everyone it is owed to, or {@code grace} passed. Returns whether the
     * books settled.
     */
    public boolean settle(Duration grace) {
        stopChat();
        return await(grace, () -> ledger.unacked() == 0 && ledger.owed() == 0
                && swarm.clients().stream().allMatch(SimClient::isCaughtUp));
    }

    /** Replays the whole store to a fresh agent connection and checks it against the books. */
    public Auditor.Result audit(Duration timeout) throws Exception {
        String token = Agent.login(swarm, settings.url(), settings.agentUsers().get(0), settings.agentPassword());
        Auditor auditor = new Auditor(swarm, settings.url(), settings.socketIo() ? "sio" : "ws", token);
        auditor.start();
        try {
            if (!await(timeout, auditor::isCaughtUp)) {
                throw new IllegalStateException("the audit connection did not receive the whole store within "
                        + timeout.toSeconds() + " s");
            }
            return auditor.verify(ledger.ackedMessages());
        } finally {
            auditor.stop();
        }
    }

    // ---- helpers ----

    public static boolean await(Duration timeout, BooleanSupplier done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(0.2);
        }
        return true;
    }

    public static void sleep(double seconds) {
        if (seconds <= 0) {
            return;
        }
        try {
            Thread.sleep((long) (seconds * 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private boolean closed;

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopChat();
        meter.close();
        swarm.close();
    }

    /**
     * Issues visitor messages at a fixed rate, round-robin over the visitors, each stamped with the
     * moment it was due: if this thread falls behind, the delay shows in the latencies instead of
     * hiding (no coordinated omission).
     */
    private final class Generator extends Thread {
        private volatile double rate;
        private volatile boolean running = true;
        private volatile long epoch;
        private volatile long worstLagNanos;
        private long issued;
        private int next;

        Generator(double rate) {
            super("lt-generator");
            setDaemon(true);
            this.rate = rate;
        }

        synchronized void retune(double newRate) {
            rate = newRate;
            epoch = 0;
        }

        void halt() {
            running = false;
            interrupt();
            try {
                join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void run() {
            long count = 0;
            while (running) {
                long base;
                double r;
                synchronized (this) {
                    if (epoch == 0) {
                        epoch = System.nanoTime();
                        count = 0;
                    }
                    base = epoch;
                    r = rate;
                }
                if (r <= 0 || visitors.isEmpty()) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                    continue;
                }
                long due = base + (long) (count * 1e9 / r);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                    if (!running) {
                        return;
                    }
                    if (System.nanoTime() < due) {
                        continue;
                    }
                } else if (-wait > worstLagNanos) {
                    worstLagNanos = -wait;
                }
                Visitor v = visitors.get(next++ % visitors.size());
                v.newMessage(due);
                issued++;
                count++;
            }
        }
    }
}

package dev.kefu.loadtest.run;

import dev.kefu.loadtest.books.Latency;
import dev.kefu.loadtest.books.Ledger;
import dev.kefu.loadtest.relay.ProcessStats;
import dev.kefu.loadtest.relay.RelayProbe;
import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Once a second: folds the latency recorders, reads the relay's health, prints one progress line
 * and keeps it in a timeline for the JSON report; remembers the peaks.
 */
public final class Meter implements AutoCloseable {
    private final LoadRun run;
    private final PrintStream out;
    private final ScheduledExecutorService tick = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lt-meter");
        t.setDaemon(true);
        return t;
    });
    private final List<Map<String, Object>> timeline = new ArrayList<>();
    private final long startNanos = System.nanoTime();
    private final long selfPid = ProcessHandle.current().pid();
    private long lastAcked;
    private long lastNanos = startNanos;
    private long lastSelfCpu = -1;
    private RelayProbe.Sample lastSample;
    private long peakHeap = -1;
    private long peakRss = -1;
    private long peakReady;
    private long peakSelfRss = -1;
    private double cpuCoreSeconds;
    private double cpuSeconds;

    Meter(LoadRun run, PrintStream out) {
        this.run = run;
        this.out = out;
        tick.scheduleAtFixedRate(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    private void tick() {
        try {
            flip();
        } catch (RuntimeException e) {
            if (out != null) {
                out.println("meter: " + e);
            }
        }
    }

    /** One reading now (also called at the end of a phase so its window is complete). */
    synchronized void flip() {
        Ledger l = run.ledger();
        Histogram ack = l.ack.interval();
        Histogram v2a = l.visitorToAgent.interval();
        l.agentToVisitor.interval();
        l.resume.interval();
        l.recovery.interval();
        l.connect.interval();
        l.ackLongPoll.interval();
        l.visitorToAgentLongPoll.interval();
        l.agentToVisitorLongPoll.interval();
        long now = System.nanoTime();
        double dt = Math.max(1e-3, (now - lastNanos) / 1e9);
        long acked = l.acked.sum();
        double ackedPerSecond = (acked - lastAcked) / dt;
        lastAcked = acked;
        lastNanos = now;

        RelayProbe.Sample s = run.probe().sample();
        double relayCores = lastSample == null ? -1 : s.coresSince(lastSample);
        if (relayCores >= 0) {
            cpuCoreSeconds += relayCores * dt;
            cpuSeconds += dt;
        }
        lastSample = s;
        peakHeap = Math.max(peakHeap, s.heapUsed());
        peakRss = Math.max(peakRss, s.rss());
        long selfCpu = ProcessStats.cpuNanos(selfPid);
        double selfCores = lastSelfCpu < 0 || selfCpu < 0 ? -1 : (selfCpu - lastSelfCpu) / (dt * 1e9);
        lastSelfCpu = selfCpu;
        long selfRss = ProcessStats.rssBytes(selfPid);
        peakSelfRss = Math.max(peakSelfRss, selfRss);
        int ready = run.readyVisitors();
        peakReady = Math.max(peakReady, ready);
        int agentsReady = run.readyAgents();

        Latency.Summary a = Latency.summary(ack);
        Latency.Summary e = Latency.summary(v2a);
        double t = (now - startNanos) / 1e9;
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("t", Math.round(t));
        row.put("visitorsReady", ready);
        row.put("agentsReady", agentsReady);
        row.put("offered", run.offeredRate());
        row.put("ackedPerSecond", Math.round(ackedPerSecond));
        row.put("unacked", l.unacked());
        row.put("owed", l.owed());
        row.put("ackP50", a.p50());
        row.put("ackP99", a.p99());
        row.put("v2aP50", e.p50());
        row.put("v2aP99", e.p99());
        row.put("v2aMax", e.max());
        row.put("reconnects", l.reconnects.sum());
        row.put("relayConnections", s.connections());
        row.put("relayHeap", s.heapUsed());
        row.put("relayRss", s.rss());
        row.put("relayCores", LoadRun.round2(relayCores));
        row.put("gcPauses", s.gcPauses());
        row.put("gcPauseSeconds", LoadRun.round2(s.gcPauseSeconds()));
        row.put("storeQueue", s.storeQueue());
        row.put("commitMaxMs", LoadRun.round2(s.commitMaxMs()));
        row.put("cpuPressure10s", ProcessStats.cpuPressure10s());
        row.put("selfCores", LoadRun.round2(selfCores));
        row.put("selfRss", selfRss);
        synchronized (timeline) {
            timeline.add(row);
        }
        if (out != null) {
            out.println(String.format(Locale.ROOT,
                    "[%4ds] visitors %d/%d (lp %d) agents %d/%d | sent %d acked %d (%d/s) unacked %d owed %d | "
                            + "ack p50 %.1f p99 %.1f | v->a p50 %.1f p99 %.1f max %.0f ms | dup %d gap %d reconn %d | "
                            + "relay %s heap %s rss %s cpu %s store q %d commit max %.0f ms | gen cpu %s | psi %.0f%%",
                    Math.round(t), ready, run.visitors().size(), run.longPollVisitors(), agentsReady, run.agents().size(),
                    l.sent.sum(), acked, Math.round(ackedPerSecond), l.unacked(), l.owed(),
                    a.p50(), a.p99(), e.p50(), e.p99(), e.max(),
                    l.duplicatesOnConnection.sum() + l.storedTwice.sum(), l.gapEvents.sum(), l.reconnects.sum(),
                    s.connections() < 0 ? "down" : "conns " + s.connections(), mb(s.heapUsed()), mb(s.rss()),
                    relayCores < 0 ? "-" : String.format(Locale.ROOT, "%.2f", relayCores), s.storeQueue(), s.commitMaxMs(),
                    selfCores < 0 ? "-" : String.format(Locale.ROOT, "%.2f", selfCores), ProcessStats.cpuPressure10s()));
            out.flush();
        }
    }

    static String mb(long bytes) {
        return bytes < 0 ? "-" : (bytes / (1024 * 1024)) + "M";
    }

    public List<Map<String, Object>> timeline() {
        synchronized (timeline) {
            return new ArrayList<>(timeline);
        }
    }

    public synchronized Map<String, Object> peaks() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("visitorsReady", peakReady);
        m.put("relayHeapBytes", peakHeap);
        m.put("relayRssBytes", peakRss);
        m.put("relayCpuCoresAverage", cpuSeconds == 0 ? -1 : LoadRun.round2(cpuCoreSeconds / cpuSeconds));
        m.put("generatorRssBytes", peakSelfRss);
        return m;
    }

    @Override
    public void close() {
        tick.shutdownNow();
        try {
            tick.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flip();
    }
}

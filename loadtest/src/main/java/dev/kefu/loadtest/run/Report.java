package dev.kefu.loadtest.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.kefu.loadtest.books.Latency;
import dev.kefu.loadtest.books.Ledger;
import dev.kefu.loadtest.client.Auditor;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The end of a run: the books closed, a verdict, a table on the console and a JSON file. */
public final class Report {
    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private final Map<String, Object> root = new LinkedHashMap<>();
    private final List<String> failures = new ArrayList<>();

    public Report(String scenario) {
        root.put("scenario", scenario);
        root.put("finishedAt", java.time.Instant.now().toString());
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        machine.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        machine.put("loadAverageAtStart", loadAverage());
        machine.put("cpuPressure10sAtStart", dev.kefu.loadtest.relay.ProcessStats.cpuPressure10s());
        root.put("machine", machine);
    }

    public Report put(String key, Object value) {
        root.put(key, value);
        return this;
    }

    public Map<String, Object> root() {
        return root;
    }

    /** Closes the books of {@code run}: settlement, audit (may be null: not run) and the verdict. */
    public void books(LoadRun run, boolean settled, Auditor.Result audit) {
        Ledger l = run.ledger();
        Ledger.Settlement st = l.settle();
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("settledWithinGrace", settled);
        b.put("sent", l.sent.sum());
        b.put("acked", l.acked.sum());
        b.put("unacked", st.unacked());
        b.put("rejected", l.rejected.sum());
        b.put("transmissions", l.transmissions.sum());
        b.put("resentAfterReconnect", l.resent.sum());
        b.put("refusedThenRetried", l.refusedRetried.sum());
        b.put("repeatAcks", l.repeatAcks.sum());
        b.put("delivered", l.delivered.sum());
        b.put("lost", st.lost());
        b.put("lostToAgents", st.lostToAgents());
        b.put("lostToVisitors", st.lostToVisitors());
        b.put("duplicatesOnConnection", l.duplicatesOnConnection.sum());
        b.put("storedTwice", l.storedTwice.sum());
        b.put("gapEvents", l.gapEvents.sum());
        b.put("gapSeqs", l.gapSeqs.sum());
        b.put("replayedAgainAfterReconnect", l.replayedAgain.sum());
        b.put("reconnects", l.reconnects.sum());
        b.put("connectFailures", l.connectFailures.sum());
        b.put("errorFrames", run.swarm().errorCodes());
        b.put("linkLosses", run.swarm().lossReasons());
        b.put("generatorStalls", run.swarm().stalls());
        b.put("lostExamples", st.lostExamples());
        b.put("unackedExamples", st.unackedExamples());
        root.put("books", b);
        if (audit != null) {
            root.put("audit", audit);
        }
        Map<String, Object> lat = new LinkedHashMap<>();
        for (var h : run.latencies()) {
            lat.put(h.name(), Latency.summary(h.run()));
        }
        root.put("latencyWholeRunMs", lat);
        root.put("phases", run.phases());
        Map<String, Object> conns = new LinkedHashMap<>();
        conns.put("visitors", run.visitors().size());
        conns.put("longPollVisitors", run.longPollVisitors());
        conns.put("agents", run.agents().size());
        conns.put("visitorsReadyAtEnd", run.readyVisitors());
        conns.put("clientsByTransport", run.clientsByTransport());
        conns.put("byTransport", run.swarm().tallies());
        root.put("connections", conns);
        root.put("peaks", run.meter().peaks());
        root.put("timeline", run.meter().timeline());

        if (st.lost() > 0) {
            failures.add(st.lost() + " acked messages lost (" + st.lostToAgents() + " to agents, "
                    + st.lostToVisitors() + " to visitors), e.g. " + st.lostExamples());
        }
        if (st.unacked() > 0) {
            failures.add(st.unacked() + " messages never acked within the grace period, e.g. " + st.unackedExamples());
        }
        if (l.duplicatesOnConnection.sum() > 0) {
            failures.add(l.duplicatesOnConnection.sum() + " seqs delivered twice on one connection");
        }
        if (l.storedTwice.sum() > 0) {
            failures.add(l.storedTwice.sum() + " cids stored at two seqs");
        }
        if (l.gapEvents.sum() > 0) {
            failures.add(l.gapEvents.sum() + " gaps (" + l.gapSeqs.sum() + " seqs skipped) on receiving connections");
        }
        if (audit != null && !audit.ok()) {
            failures.add("store audit: " + audit.gaps() + " gaps, " + audit.duplicateCids() + " cids stored twice, "
                    + audit.ackedMissing() + " acked messages missing; " + audit.problems());
        }
    }

    public void fail(String why) {
        failures.add(why);
    }

    public boolean balanced() {
        return failures.isEmpty();
    }

    /** Prints the summary table. */
    @SuppressWarnings("unchecked")
    public void print(PrintStream out) {
        Map<String, Object> b = (Map<String, Object>) root.get("books");
        out.println();
        out.println("== " + root.get("scenario") + ": books ==");
        if (b != null) {
            out.printf(Locale.ROOT, "sent %d  acked %d  unacked %d  rejected %d  resent after reconnect %d  refused+retried %d%n",
                    b.get("sent"), b.get("acked"), b.get("unacked"), b.get("rejected"), b.get("resentAfterReconnect"),
                    b.get("refusedThenRetried"));
            out.printf(Locale.ROOT, "delivered %d  LOST %d (to agents %d, to visitors %d)%n", b.get("delivered"),
                    b.get("lost"), b.get("lostToAgents"), b.get("lostToVisitors"));
            out.printf(Locale.ROOT, "DUPLICATED %d on a connection, %d cids stored twice  GAPS %d (%d seqs)%n",
                    b.get("duplicatesOnConnection"), b.get("storedTwice"), b.get("gapEvents"), b.get("gapSeqs"));
            out.printf(Locale.ROOT, "reconnects %d  connect failures %d  replayed again %d  errors %s%n",
                    b.get("reconnects"), b.get("connectFailures"), b.get("replayedAgainAfterReconnect"), b.get("errorFrames"));
            out.println("load generator stalls over 2 s: " + b.get("generatorStalls"));
            Object losses = b.get("linkLosses");
            if (losses instanceof Map<?, ?> m && !m.isEmpty()) {
                out.println("links lost: " + m);
            }
        }
        Object audit = root.get("audit");
        if (audit instanceof Auditor.Result a) {
            out.printf(Locale.ROOT, "audit: %d conversations, %d messages replayed; gaps %d, cids twice %d, acked missing %d: %s%n",
                    a.conversations(), a.messages(), a.gaps(), a.duplicateCids(), a.ackedMissing(), a.ok() ? "OK" : "FAILED");
        }
        Object lat = root.get("latencyWholeRunMs");
        List<Map<String, Object>> phases = (List<Map<String, Object>>) root.get("phases");
        if (phases != null && !phases.isEmpty()) {
            out.println("== phases (latency ms over the measured window) ==");
            out.printf(Locale.ROOT, "%-14s %8s %8s | %-36s | %-36s | %5s %7s %7s%n", "phase", "offered", "acked/s",
                    "ack p50/p90/p99/p999/max", "visitor->agent p50/p90/p99/p999/max", "cpu", "heap", "rss");
            for (Map<String, Object> p : phases) {
                out.printf(Locale.ROOT, "%-14s %8.0f %8d | %-36s | %-36s | %5.2f %7s %7s%n", p.get("name"),
                        ((Number) p.get("offeredPerSecond")).doubleValue(), ((Number) p.get("ackedPerSecond")).longValue(),
                        pct((Latency.Summary) p.get("ack")), pct((Latency.Summary) p.get("visitorToAgent")),
                        ((Number) p.get("relayCpuCores")).doubleValue(), Meter.mb(((Number) p.get("relayHeapBytes")).longValue()),
                        Meter.mb(((Number) p.get("relayRssBytes")).longValue()));
                Latency.Summary lpAck = (Latency.Summary) p.get("ackLongPoll");
                if (lpAck != null && lpAck.count() > 0) {
                    out.printf(Locale.ROOT, "%-14s %8s %8s | %-36s | %-36s | agent->visitor %s%n", "  of which lp", "", "",
                            pct(lpAck), pct((Latency.Summary) p.get("visitorToAgentLongPoll")),
                            pct((Latency.Summary) p.get("agentToVisitorLongPoll")));
                }
            }
        }
        if (lat instanceof Map<?, ?> m) {
            out.println("== latency, whole run (ms) ==");
            out.printf(Locale.ROOT, "%-18s %9s %8s %8s %8s %8s %8s%n", "", "count", "p50", "p90", "p99", "p99.9", "max");
            for (var e : m.entrySet()) {
                Latency.Summary s = (Latency.Summary) e.getValue();
                if (s.count() == 0 && String.valueOf(e.getKey()).endsWith(", lp")) {
                    continue;
                }
                out.printf(Locale.ROOT, "%-18s %9d %8.2f %8.2f %8.2f %8.2f %8.1f%n", e.getKey(), s.count(), s.p50(), s.p90(),
                        s.p99(), s.p999(), s.max());
            }
        }
        Object conns = root.get("connections");
        Object peaks = root.get("peaks");
        if (conns != null) {
            out.println("connections: " + conns);
        }
        if (peaks != null) {
            out.println("peaks: " + peaks);
        }
        out.println("load average (1/5/15 min) at start " + ((Map<?, ?>) root.get("machine")).get("loadAverageAtStart")
                + ", now " + loadAverage());
        out.println(balanced() ? "VERDICT: the books balance (0 lost, 0 duplicated, no gaps)"
                : "VERDICT: the books do NOT balance:\n  - " + String.join("\n  - ", failures));
        out.flush();
    }

    static String pct(Latency.Summary s) {
        return String.format(Locale.ROOT, "%.1f/%.1f/%.1f/%.1f/%.0f", s.p50(), s.p90(), s.p99(), s.p999(), s.max());
    }

    /** The 1, 5 and 15 minute load averages (other work on the machine skews every number). */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    public void write(Path file) throws IOException {
        @SuppressWarnings("unchecked")
        Map<String, Object> machine = (Map<String, Object>) root.get("machine");
        machine.put("loadAverageAtEnd", loadAverage());
        machine.put("cpuPressure10sAtEnd", dev.kefu.loadtest.relay.ProcessStats.cpuPressure10s());
        root.put("verdict", Map.of("booksBalance", balanced(), "failures", failures));
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        JSON.writeValue(file.toFile(), root);
    }
}

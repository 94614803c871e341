package dev.kefu.loadtest.cli;

import dev.kefu.loadtest.relay.ProcessStats;
import dev.kefu.loadtest.relay.RelayProbe;
import dev.kefu.loadtest.run.LoadRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "idle",
        description = "Idle ramp: connect visitors up to each of --steps and hold them (hello, pings, nothing "
                + "else); at each step the relay gets a full GC (jcmd, when its PID is known) and its heap and RSS "
                + "per connection are measured against the empty relay.")
final class IdleCommand implements Callable<Integer> {
    @Mixin
    CommonOptions o;

    @Option(names = "--steps", split = ",", defaultValue = "1000,5000,10000",
            description = "Connection counts to measure at. Default: ${DEFAULT-VALUE}. The OS limit on open files "
                    + "(ulimit -n) caps this for both the relay and this process.")
    List<Integer> steps;

    @Option(names = "--hold-sec", defaultValue = "10",
            description = "Seconds to hold each step before measuring (pings flow). Default: ${DEFAULT-VALUE}.")
    double holdSec;

    @Override
    public Integer call() throws Exception {
        try (ScenarioContext ctx = ScenarioContext.open("idle", o, 0)) {
            LoadRun run = ctx.run;
            if (!ctx.agentUsers.isEmpty()) {
                run.connectAgents(i -> ctx.url(), java.time.Duration.ofSeconds(60));
            }
            LoadRun.sleep(2);
            Map<String, Object> base = measure(run, 0, null);
            List<Map<String, Object>> rows = new ArrayList<>();
            rows.add(base);
            ctx.out.println("baseline: " + base);
            for (int target : steps) {
                int have = run.visitors().size();
                if (target <= have) {
                    continue;
                }
                long t0 = System.nanoTime();
                boolean all = run.addVisitors(target - have, i -> ctx.url(),
                        java.time.Duration.ofSeconds(Math.max(60, (long) ((target - have) / o.crowd.ramp * 3))));
                double rampSec = (System.nanoTime() - t0) / 1e9;
                LoadRun.sleep(holdSec);
                Map<String, Object> row = measure(run, target, base);
                row.put("rampSeconds", Math.round(rampSec * 10) / 10.0);
                row.put("allConnected", all);
                rows.add(row);
                ctx.out.println("step: " + row);
                if (!all) {
                    ctx.report.fail("only " + run.readyVisitors() + " of " + target + " idle sockets connected");
                    break;
                }
            }
            ctx.report.put("idleSteps", rows);
            ctx.out.println();
            ctx.out.println("== idle sockets: relay memory after full GC ==");
            ctx.out.printf(Locale.ROOT, "%8s %8s %10s %10s %12s %12s %9s %8s%n", "sockets", "ready", "heap MB", "rss MB",
                    "heap KiB/sock", "rss KiB/sock", "threads", "gen MB");
            for (Map<String, Object> r : rows) {
                ctx.out.printf(Locale.ROOT, "%8d %8d %10.1f %10.1f %12.1f %12.1f %9d %8.0f%n", r.get("sockets"),
                        r.get("ready"), mb(r.get("heapBytes")), mb(r.get("rssBytes")),
                        ((Number) r.getOrDefault("heapKiBPerSocket", 0.0)).doubleValue(),
                        ((Number) r.getOrDefault("rssKiBPerSocket", 0.0)).doubleValue(), r.get("threads"),
                        mb(r.get("generatorRssBytes")));
            }
            o.result.noAudit = true;
            return ctx.finish();
        }
    }

    private static double mb(Object bytes) {
        return ((Number) bytes).longValue() / (1024.0 * 1024.0);
    }

    private static Map<String, Object> measure(LoadRun run, int sockets, Map<String, Object> base) {
        boolean gc = run.probe().collectGarbage();
        LoadRun.sleep(1);
        RelayProbe.Sample s = run.probe().sample();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("sockets", sockets);
        row.put("ready", run.readyVisitors());
        row.put("fullGc", gc);
        row.put("heapBytes", s.heapUsed());
        row.put("rssBytes", s.rss());
        row.put("nonHeapBytes", s.nonHeapUsed());
        row.put("threads", s.threads());
        row.put("relayConnections", s.connections());
        row.put("relayOpenFiles", run.probe().pid() > 0 ? ProcessStats.openFiles(run.probe().pid()) : -1);
        row.put("generatorRssBytes", ProcessStats.rssBytes(ProcessHandle.current().pid()));
        if (base != null && sockets > 0) {
            row.put("heapKiBPerSocket", round1((s.heapUsed() - ((Number) base.get("heapBytes")).longValue()) / 1024.0 / sockets));
            row.put("rssKiBPerSocket", s.rss() < 0 ? -1 : round1((s.rss() - ((Number) base.get("rssBytes")).longValue()) / 1024.0 / sockets));
        }
        return row;
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }
}

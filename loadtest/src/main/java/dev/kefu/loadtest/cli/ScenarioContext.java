package dev.kefu.loadtest.cli;

import dev.kefu.loadtest.client.Auditor;
import dev.kefu.loadtest.relay.ProcessStats;
import dev.kefu.loadtest.relay.RelayHarness;
import dev.kefu.loadtest.run.LoadRun;
import dev.kefu.loadtest.run.Report;

import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntFunction;

/**
 * Everything one scenario command sets up and tears down: the work folder, the relay (started and
 * seeded here, or external), the {@link LoadRun}, and at the end the books, the report and the
 * exit code. Closing it stops every client and kills a relay it started (also on Ctrl-C).
 */
final class ScenarioContext implements AutoCloseable {
    static final int BOOKS_DO_NOT_BALANCE = 1;

    final String scenario;
    final CommonOptions o;
    final Path work;
    final RelayHarness harness;
    final LoadRun run;
    final Report report;
    final PrintStream out = System.out;
    final List<String> agentUsers;
    private final Thread hook;

    private ScenarioContext(String scenario, CommonOptions o, int defaultAgents, boolean needHarness) throws Exception {
        this.scenario = scenario;
        this.o = o;
        this.report = new Report(scenario);
        this.work = o.result.work != null ? o.result.work : Path.of("target", "loadtest-runs",
                scenario + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(work);
        int agents = o.crowd.agents >= 0 ? o.crowd.agents : defaultAgents;
        this.agentUsers = agentUsers(o.crowd.agentUser, agents);
        boolean socketIo = "socketio".equals(o.relay.peer);
        if (!socketIo && !"kefu".equals(o.relay.peer)) {
            throw new IllegalArgumentException("--peer is kefu or socketio, not " + o.relay.peer);
        }
        if (socketIo && o.relay.url == null) {
            Path dir = PeerSetup.peerDir(o.relay.peerDir);
            PeerSetup.ensureInstalled(dir, out);
            harness = RelayHarness.peer(List.of("node", "server.js", "--host", "127.0.0.1", "--port", "{port}",
                    "--data", "{data}", "--password", o.crowd.agentPassword, "--heartbeat-sec", Integer.toString(o.relay.heartbeatSec)),
                    dir, work);
            out.println("peer: node " + dir.resolve("server.js") + "; data and log: " + work.toAbsolutePath());
            harness.start();
            out.println("peer ready at " + harness.url() + " (pid " + harness.pid() + ")");
        } else if (o.relay.url == null || needHarness) {
            if (o.relay.url != null) {
                throw new IllegalArgumentException(scenario + " restarts the relay itself: leave out --url");
            }
            List<String> cli = o.relay.command();
            List<String> flags = o.relay.serveFlags();
            harness = new RelayHarness(cli, flags, work, 0);
            out.println("relay: " + String.join(" ", cli) + " serve ... " + String.join(" ", flags));
            out.println("relay data and log: " + work.toAbsolutePath());
            try {
                if (!o.relay.seeded) {
                    harness.seed(o.crowd.site, agentUsers, o.crowd.agentPassword);
                }
                harness.start();
            } catch (Exception e) {
                harness.close();
                throw e;
            }
            out.println("relay ready at " + harness.url() + " (pid " + harness.pid() + ")");
        } else {
            harness = null;
        }
        URI url = harness != null ? harness.url() : o.relay.url;
        long externalPid = o.relay.pid > 0 ? o.relay.pid
                : harness == null ? ProcessStats.listenerOf(url.getPort()).orElse(-1) : -1;
        String runId = "lt" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 44), 36);
        LoadRun.Settings settings = new LoadRun.Settings(url, o.crowd.site, agentUsers, o.crowd.agentPassword, o.crowd.lpShare,
                o.crowd.replyRatio, o.crowd.ramp, Duration.ofSeconds(o.crowd.connectTimeoutSec), runId, socketIo,
                o.crowd.wsDeflate);
        LoadRun r;
        try {
            r = new LoadRun(settings, harness != null ? harness::pid : () -> externalPid, out, !o.result.quiet);
        } catch (Exception e) {
            if (harness != null) {
                harness.close();
            }
            throw e;
        }
        this.run = r;
        this.hook = new Thread(this::closeQuietly, "lt-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        java.util.Map<String, Object> shown = new java.util.LinkedHashMap<>();
        shown.put("url", url.toString());
        shown.put("peer", o.relay.peer);
        shown.put("site", o.crowd.site);
        shown.put("wsDeflate", o.crowd.wsDeflate);
        shown.put("agents", agentUsers.size());
        shown.put("visitors", o.crowd.visitors);
        shown.put("lpShare", o.crowd.lpShare);
        shown.put("replyRatio", o.crowd.replyRatio);
        shown.put("rampPerSecond", o.crowd.ramp);
        shown.put("heartbeatSec", harness != null ? o.relay.heartbeatSec : -1);
        shown.put("graceSec", o.result.graceSec);
        shown.put("runId", runId);
        report.put("settings", shown);
        report.put("relay", harness != null
                ? java.util.Map.of("started", true, "command", socketIo ? "node server.js (socketio peer)"
                        : String.join(" ", o.relay.command()), "work", work.toAbsolutePath().toString(),
                        "jarSha256", socketIo || o.relay.classpath != null ? "-" : sha256(o.relay.jar()))
                : java.util.Map.of("started", false, "url", o.relay.url.toString(), "pid", externalPid));
    }

    static ScenarioContext open(String scenario, CommonOptions o, int defaultAgents) throws Exception {
        return new ScenarioContext(scenario, o, defaultAgents, false);
    }

    /** For scenarios that kill or restart the relay: it must be the harness's own. */
    static ScenarioContext openWithHarness(String scenario, CommonOptions o, int defaultAgents) throws Exception {
        return new ScenarioContext(scenario, o, defaultAgents, true);
    }

    /**
     * For scenarios that kill or restart the relay under chat: the harness's own relay, every agent
     * (4 unless --agents) and visitor connected, then chat at {@code rate} visitor messages/s.
     */
    static ScenarioContext openChattingWithHarness(String scenario, CommonOptions o, double rate) throws Exception {
        ScenarioContext ctx = openWithHarness(scenario, o, 4);
        try {
            ctx.connectAll(o.crowd.visitors);
            ctx.run.chatAt(rate);
            return ctx;
        } catch (Exception | Error e) {
            ctx.close();
            throw e;
        }
    }

    URI url() {
        return run.settings().url();
    }

    /** Agents, then visitors (all direct, or as {@code visitorBase} says). */
    void connectAll(IntFunction<URI> agentBase, IntFunction<URI> visitorBase, int visitors) throws Exception {
        if (!agentUsers.isEmpty()) {
            run.connectAgents(agentBase, Duration.ofSeconds(60));
            out.println("agents connected: " + agentUsers.size());
        }
        long t0 = System.nanoTime();
        Duration timeout = Duration.ofSeconds(Math.max(60, (long) (visitors / o.crowd.ramp * 3)));
        boolean all = run.addVisitors(visitors, visitorBase, timeout);
        out.printf(Locale.ROOT, "visitors connected: %d of %d in %.1f s%n", run.readyVisitors(), visitors,
                (System.nanoTime() - t0) / 1e9);
        if (!all) {
            report.fail("only " + run.readyVisitors() + " of " + visitors + " visitors connected within "
                    + timeout.toSeconds() + " s");
        }
    }

    void connectAll(int visitors) throws Exception {
        connectAll(i -> url(), i -> url(), visitors);
    }

    /** Stops the load, settles, audits, reports; returns the exit code. */
    int finish() throws Exception {
        boolean settled = run.settle(Duration.ofSeconds(o.result.graceSec));
        out.println(settled ? "settled: every outbox drained, every acked message delivered"
                : "NOT settled within " + o.result.graceSec + " s: unacked " + run.ledger().unacked() + ", owed deliveries "
                + run.ledger().owed());
        Auditor.Result audit = null;
        if (!o.result.noAudit) {
            try {
                audit = run.audit(Duration.ofSeconds(Math.max(60, o.result.graceSec)));
            } catch (Exception e) {
                report.fail("audit failed: " + e.getMessage());
            }
        }
        report.books(run, settled, audit);
        run.close();
        report.print(out);
        Path file = o.result.out != null ? o.result.out : work.resolve("result.json");
        report.write(file);
        out.println("result: " + file.toAbsolutePath());
        return report.balanced() ? 0 : BOOKS_DO_NOT_BALANCE;
    }

    static List<String> agentUsers(String pattern, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(pattern.contains("%d") ? String.format(Locale.ROOT, pattern, i) : n == 1 ? pattern : pattern + i);
        }
        return out;
    }

    /** The first 16 hex digits of a file's SHA-256: which relay build a result came from. */
    private static String sha256(Path file) {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return java.util.HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (Exception e) {
            return "unknown";
        }
    }

    private void closeQuietly() {
        try {
            run.close();
        } catch (RuntimeException ignored) {
            // exiting anyway
        }
        if (harness != null) {
            harness.close();
        }
    }

    @Override
    public void close() {
        closeQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // shutting down already
        }
    }
}

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
import java.util.Arrays;
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
        this.work = o.work != null ? o.work : Path.of("target", "loadtest-runs",
                scenario + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(work);
        int agents = o.agents >= 0 ? o.agents : defaultAgents;
        this.agentUsers = agentUsers(o.agentUser, agents);
        boolean socketIo = "socketio".equals(o.peer);
        if (!socketIo && !"kefu".equals(o.peer)) {
            throw new IllegalArgumentException("--peer is kefu or socketio, not " + o.peer);
        }
        if (socketIo && o.url == null) {
            Path dir = PeerSetup.peerDir(o.peerDir);
            PeerSetup.ensureInstalled(dir, out);
            harness = RelayHarness.peer(List.of("node", "server.js", "--host", "127.0.0.1", "--port", "{port}",
                    "--data", "{data}", "--password", o.agentPassword, "--heartbeat-sec", Integer.toString(o.heartbeatSec)),
                    dir, work);
            out.println("peer: node " + dir.resolve("server.js") + "; data and log: " + work.toAbsolutePath());
            harness.start();
            out.println("peer ready at " + harness.url() + " (pid " + harness.pid() + ")");
        } else if (o.url == null || needHarness) {
            if (o.url != null) {
                throw new IllegalArgumentException(scenario + " restarts the relay itself: leave out --url");
            }
            List<String> cli = relayCli(o);
            List<String> flags = new ArrayList<>(List.of("--heartbeat-sec", Integer.toString(o.heartbeatSec),
                    "--rate-limit", Double.toString(o.relayRateLimit), "--rate-burst", Integer.toString(o.relayRateBurst)));
            flags.addAll(split(o.relayFlags));
            harness = new RelayHarness(cli, flags, work, 0);
            out.println("relay: " + String.join(" ", cli) + " serve ... " + String.join(" ", flags));
            out.println("relay data and log: " + work.toAbsolutePath());
            try {
                if (!o.seeded) {
                    harness.seed(o.site, agentUsers, o.agentPassword);
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
        URI url = harness != null ? harness.url() : o.url;
        long externalPid = o.relayPid > 0 ? o.relayPid
                : harness == null ? ProcessStats.listenerOf(url.getPort()).orElse(-1) : -1;
        String runId = "lt" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 44), 36);
        LoadRun.Settings settings = new LoadRun.Settings(url, o.site, agentUsers, o.agentPassword, o.lpShare,
                o.replyRatio, o.ramp, Duration.ofSeconds(o.connectTimeoutSec), runId, socketIo);
        LoadRun r;
        try {
            r = new LoadRun(settings, harness != null ? harness::pid : () -> externalPid, out, !o.quiet);
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
        shown.put("peer", o.peer);
        shown.put("site", o.site);
        shown.put("agents", agentUsers.size());
        shown.put("visitors", o.visitors);
        shown.put("lpShare", o.lpShare);
        shown.put("replyRatio", o.replyRatio);
        shown.put("rampPerSecond", o.ramp);
        shown.put("heartbeatSec", harness != null ? o.heartbeatSec : -1);
        shown.put("graceSec", o.graceSec);
        shown.put("runId", runId);
        report.put("settings", shown);
        report.put("relay", harness != null
                ? java.util.Map.of("started", true, "command", socketIo ? "node server.js (socketio peer)"
                        : String.join(" ", relayCli(o)), "work", work.toAbsolutePath().toString(),
                        "jarSha256", socketIo || o.relayClasspath != null ? "-" : sha256(findRelayJar(o.relayJar)))
                : java.util.Map.of("started", false, "url", o.url.toString(), "pid", externalPid));
    }

    static ScenarioContext open(String scenario, CommonOptions o, int defaultAgents) throws Exception {
        return new ScenarioContext(scenario, o, defaultAgents, false);
    }

    /** For scenarios that kill or restart the relay: it must be the harness's own. */
    static ScenarioContext openWithHarness(String scenario, CommonOptions o, int defaultAgents) throws Exception {
        return new ScenarioContext(scenario, o, defaultAgents, true);
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
        Duration timeout = Duration.ofSeconds(Math.max(60, (long) (visitors / o.ramp * 3)));
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
        boolean settled = run.settle(Duration.ofSeconds(o.graceSec));
        out.println(settled ? "settled: every outbox drained, every acked message delivered"
                : "NOT settled within " + o.graceSec + " s: unacked " + run.ledger().unacked() + ", owed deliveries "
                + run.ledger().owed());
        Auditor.Result audit = null;
        if (!o.noAudit) {
            try {
                audit = run.audit(Duration.ofSeconds(Math.max(60, o.graceSec)));
            } catch (Exception e) {
                report.fail("audit failed: " + e.getMessage());
            }
        }
        report.books(run, settled, audit);
        run.close();
        report.print(out);
        Path file = o.out != null ? o.out : work.resolve("result.json");
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

    private static List<String> relayCli(CommonOptions o) {
        List<String> jvm = split(o.relayJvm);
        if (o.relayClasspath != null) {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(jvm);
            cmd.addAll(List.of("-cp", o.relayClasspath, "dev.kefu.relay.cli.RelayCli"));
            return cmd;
        }
        return RelayHarness.javaJar(findRelayJar(o.relayJar), jvm);
    }

    private static Path findRelayJar(Path given) {
        if (given != null) {
            if (!Files.isRegularFile(given)) {
                throw new IllegalArgumentException("no relay jar at " + given);
            }
            return given;
        }
        List<Path> candidates = new ArrayList<>(List.of(Path.of("relay-server/target/kefu-relay.jar"),
                Path.of("../relay-server/target/kefu-relay.jar")));
        try {
            Path self = Path.of(ScenarioContext.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            candidates.add(self.getParent().resolve("../../relay-server/target/kefu-relay.jar").normalize());
        } catch (Exception ignored) {
            // not from a jar
        }
        for (Path p : candidates) {
            if (Files.isRegularFile(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IllegalArgumentException("relay jar not found (tried " + candidates
                + "); build it (./mvnw -q -o install -DskipTests) or pass --relay-jar or --url");
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

    static List<String> split(String s) {
        return s == null || s.isBlank() ? List.of() : Arrays.asList(s.trim().split("\\s+"));
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

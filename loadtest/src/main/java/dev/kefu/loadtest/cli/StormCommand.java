package dev.kefu.loadtest.cli;

import dev.kefu.loadtest.books.Latency;
import dev.kefu.loadtest.client.SimClient;
import dev.kefu.loadtest.run.LoadRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "storm",
        description = "Reconnect storm: under chat, the harness restarts its relay (graceful by default, or kill -9) "
                + "and every client reconnects at once; reports how long until all are back and caught up, and "
                + "each client's resume time.")
final class StormCommand implements Callable<Integer> {
    @Mixin
    CommonOptions o;

    @Option(names = "--rate", defaultValue = "100", description = "Visitor messages per second. Default: ${DEFAULT-VALUE}.")
    double rate;

    @Option(names = "--before-sec", defaultValue = "20", description = "Chat before the restart. Default: ${DEFAULT-VALUE}.")
    double beforeSec;

    @Option(names = "--after-sec", defaultValue = "20", description = "Chat after everyone is back. Default: ${DEFAULT-VALUE}.")
    double afterSec;

    @Option(names = "--restart", defaultValue = "term",
            description = "term (graceful: clients told to reconnect) or kill (SIGKILL). Default: ${DEFAULT-VALUE}.")
    String restart;

    @Option(names = "--storms", defaultValue = "1", description = "How many restarts. Default: ${DEFAULT-VALUE}.")
    int storms;

    @Override
    public Integer call() throws Exception {
        try (ScenarioContext ctx = ScenarioContext.openChattingWithHarness("storm", o, rate)) {
            LoadRun run = ctx.run;
            LoadRun.sleep(beforeSec);
            var storms = new java.util.ArrayList<Map<String, Object>>();
            for (int s = 1; s <= this.storms; s++) {
                run.markAll();
                long t0 = System.nanoTime();
                if ("kill".equals(restart)) {
                    ctx.harness.kill();
                } else {
                    ctx.harness.stop();
                }
                long down = System.nanoTime();
                ctx.harness.start();
                long up = System.nanoTime();
                boolean back = LoadRun.await(Duration.ofSeconds(300),
                        () -> run.swarm().clients().stream().allMatch(SimClient::isCaughtUp));
                long all = System.nanoTime();
                Map<String, Object> st = new LinkedHashMap<>();
                st.put("restart", restart);
                st.put("stopSeconds", round((down - t0) / 1e9));
                st.put("relayStartSeconds", round((up - down) / 1e9));
                st.put("allBackSecondsAfterRestart", back ? round((all - up) / 1e9) : -1);
                st.put("allBackSecondsAfterStop", back ? round((all - t0) / 1e9) : -1);
                st.put("resumeMs", Latency.summary(run.ledger().resume.window()));
                st.put("recoveryMs", Latency.summary(run.ledger().recovery.window()));
                storms.add(st);
                ctx.out.printf(Locale.ROOT, "storm %d: relay down %.1f s, up again in %.1f s, all %d clients caught up %s%n", s,
                        (down - t0) / 1e9, (up - down) / 1e9, run.swarm().clients().size(),
                        back ? String.format(Locale.ROOT, "%.1f s after the restart", (all - up) / 1e9) : "NOT within 300 s");
                ctx.out.println("  resume per client (ms): " + st.get("resumeMs"));
                if (!back) {
                    ctx.report.fail("not every client was back within 300 s of restart " + s);
                }
                LoadRun.sleep(afterSec);
            }
            ctx.report.put("storms", storms);
            return ctx.finish();
        }
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}

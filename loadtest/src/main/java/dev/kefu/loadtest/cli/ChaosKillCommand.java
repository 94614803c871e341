package dev.kefu.loadtest.cli;

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

@Command(name = "chaos-kill",
        description = "kill -9 under load: the harness starts the relay on a fresh data folder, chat runs at --rate, "
                + "and every --kill-every-sec the relay is SIGKILLed and started again on the same data and port, "
                + "--cycles times. Clients resend their outboxes and resume. Exit 1 unless the books balance: "
                + "0 acked lost, 0 duplicated, no gap.")
final class ChaosKillCommand implements Callable<Integer> {
    @Mixin
    CommonOptions o;

    @Option(names = "--rate", defaultValue = "200", description = "Visitor messages per second. Default: ${DEFAULT-VALUE}.")
    double rate;

    @Option(names = "--kill-every-sec", defaultValue = "30", description = "Seconds between kills. Default: ${DEFAULT-VALUE}.")
    double killEverySec;

    @Option(names = "--cycles", defaultValue = "5", description = "Kills. Default: ${DEFAULT-VALUE}.")
    int cycles;

    @Option(names = "--down-sec", defaultValue = "0", description = "Seconds the relay stays dead before the restart. Default: ${DEFAULT-VALUE}.")
    double downSec;

    @Option(names = "--tail-sec", defaultValue = "10", description = "Chat after the last restart. Default: ${DEFAULT-VALUE}.")
    double tailSec;

    @Override
    public Integer call() throws Exception {
        try (ScenarioContext ctx = ScenarioContext.openChattingWithHarness("chaos-kill", o, rate)) {
            LoadRun run = ctx.run;
            List<Map<String, Object>> kills = new ArrayList<>();
            for (int c = 1; c <= cycles; c++) {
                LoadRun.sleep(killEverySec);
                long pid = ctx.harness.pid();
                long ackedBefore = run.ledger().acked.sum();
                long t0 = System.nanoTime();
                int exit = ctx.harness.kill();
                LoadRun.sleep(downSec);
                ctx.harness.start();
                double restartSec = (System.nanoTime() - t0) / 1e9;
                Map<String, Object> k = new LinkedHashMap<>();
                k.put("cycle", c);
                k.put("pid", pid);
                k.put("exit", exit);
                k.put("ackedBeforeKill", ackedBefore);
                k.put("unackedAtKill", run.ledger().unacked());
                k.put("restartSeconds", Math.round(restartSec * 100) / 100.0);
                kills.add(k);
                ctx.out.printf(Locale.ROOT, "kill -9 #%d: pid %d exit %d after %d acks (%d unacked in flight); "
                        + "relay back in %.1f s (pid %d)%n", c, pid, exit, ackedBefore, run.ledger().unacked(),
                        restartSec, ctx.harness.pid());
                if (exit != 137) {
                    ctx.report.fail("relay " + pid + " exited " + exit + " on SIGKILL (expected 137)");
                }
            }
            LoadRun.sleep(tailSec);
            ctx.report.put("kills", kills);
            return ctx.finish();
        }
    }
}

package dev.kefu.loadtest.cli;

import dev.kefu.loadtest.client.Agent;
import dev.kefu.loadtest.run.LoadRun;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Resume after a reconnect, measured one client at a time under load (issue 8: "resume after
 * reconnect (<= N missed messages) <= 1 s"): an agent goes away, stays away until N new messages
 * were acked (it is owed every one of them), comes back with {@code resume}, and the time from its
 * reconnect to holding everything its welcome listed is taken.
 */
final class ResumeProbe {
    private ResumeProbe() {}

    static List<Map<String, Object>> run(ScenarioContext ctx, int probes, int missed) {
        LoadRun run = ctx.run;
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < probes; i++) {
            Agent a = run.agents().get(i % run.agents().size());
            long before = run.ledger().acked.sum();
            a.pause();
            boolean enough = LoadRun.await(Duration.ofSeconds(120), () -> run.ledger().acked.sum() - before >= missed);
            long gone = run.ledger().acked.sum() - before;
            a.unpause();
            boolean back = LoadRun.await(Duration.ofSeconds(120), a::isCaughtUp);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("agent", a.username());
            r.put("missedAcked", gone);
            r.put("replayedOnResume", a.lastResumeMessages());
            r.put("resumeMs", back ? a.lastResumeMs() : -1);
            out.add(r);
            ctx.out.printf(Locale.ROOT, "resume probe %d: %s missed %d messages (%s); resumed with %d replayed in %s%n",
                    i + 1, a.username(), gone, enough ? "as asked" : "fewer: load too low", a.lastResumeMessages(),
                    back ? String.format(Locale.ROOT, "%.0f ms", a.lastResumeMs()) : "NOT within 120 s");
            if (!back) {
                ctx.report.fail("agent " + a.username() + " did not catch up within 120 s of resuming");
            }
            LoadRun.sleep(1);
        }
        return out;
    }
}

package dev.kefu.loadtest.cli;

import dev.kefu.loadtest.books.Latency;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "stepup",
        description = "Step-up: chat at each of --rates in turn on the same connections, and report the highest "
                + "rate whose visitor->agent p99 stays within --p99-ms while the relay keeps up.")
final class StepUpCommand implements Callable<Integer> {
    @Mixin
    CommonOptions o;

    @Option(names = "--rates", split = ",", defaultValue = "250,500,1000,1500,2000,3000,4000,5000,6000,8000",
            description = "Visitor messages per second of each step. Default: ${DEFAULT-VALUE}.")
    List<Double> rates;

    @Option(names = "--step-sec", defaultValue = "20", description = "Measured seconds per step. Default: ${DEFAULT-VALUE}.")
    double stepSec;

    @Option(names = "--step-warmup", defaultValue = "5", description = "Unmeasured seconds at the start of each step. Default: ${DEFAULT-VALUE}.")
    double stepWarmup;

    @Option(names = "--p99-ms", defaultValue = "100", description = "Latency bound, visitor->agent p99 in ms. Default: ${DEFAULT-VALUE}.")
    double p99Ms;

    @Option(names = "--max-misses", defaultValue = "2",
            description = "Stop after this many steps in a row miss the bound or fall behind (the machine is noisy: "
                    + "one miss need not be the ceiling). Default: ${DEFAULT-VALUE}.")
    int maxMisses;

    @Override
    public Integer call() throws Exception {
        try (ScenarioContext ctx = ScenarioContext.open("stepup", o, 4)) {
            ctx.connectAll(o.crowd.visitors);
            double best = 0;
            int misses = 0;
            Map<String, Object> bestPhase = null;
            for (double rate : rates) {
                Map<String, Object> p = ctx.run.phase(String.format(Locale.ROOT, "%.0f/s", rate), rate, stepWarmup, stepSec);
                Latency.Summary e2e = (Latency.Summary) p.get("visitorToAgent");
                double acked = ((Number) p.get("ackedPerSecond")).doubleValue();
                boolean keptUp = acked >= rate * (1 + o.crowd.replyRatio) * 0.95;
                boolean fast = e2e.count() > 0 && e2e.p99() <= p99Ms;
                p.put("keptUp", keptUp);
                p.put("withinP99", fast);
                ctx.out.printf(Locale.ROOT, "step %.0f/s: acked %.0f/s, visitor->agent p50 %.1f p99 %.1f ms -> %s%n", rate,
                        acked, e2e.p50(), e2e.p99(), keptUp && fast ? "pass" : keptUp ? "miss (p99)" : "miss (fell behind)");
                if (keptUp && fast) {
                    misses = 0;
                    best = rate;
                    bestPhase = p;
                } else if (++misses >= maxMisses) {
                    break;
                }
            }
            ctx.report.put("stepup", Map.of("p99BoundMs", p99Ms, "highestPassingVisitorRate", best,
                    "highestPassingStoredRate", best * (1 + o.crowd.replyRatio),
                    "at", bestPhase == null ? Map.of() : bestPhase));
            ctx.out.printf(Locale.ROOT, "highest rate with visitor->agent p99 <= %.0f ms: %.0f visitor msgs/s "
                    + "(about %.0f stored msgs/s with replies)%n", p99Ms, best, best * (1 + o.crowd.replyRatio));
            return ctx.finish();
        }
    }
}

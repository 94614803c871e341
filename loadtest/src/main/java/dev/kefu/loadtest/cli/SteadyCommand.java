package dev.kefu.loadtest.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

@Command(name = "steady",
        description = "Steady chat: agents and visitors connect, then --rate visitor messages/s for --duration s "
                + "(agents answer --reply-ratio of them); books, latencies, relay health.")
final class SteadyCommand implements Callable<Integer> {
    @Mixin
    CommonOptions o;

    @Option(names = "--rate", defaultValue = "100", description = "Visitor messages per second, all visitors together. Default: ${DEFAULT-VALUE}.")
    double rate;

    @Option(names = "--duration", defaultValue = "60", description = "Measured seconds. Default: ${DEFAULT-VALUE}.")
    double duration;

    @Option(names = "--warmup", defaultValue = "5",
            description = "Seconds of load before measuring; at least long enough for every visitor to have sent its "
                    + "first message (opening its conversation, which costs the relay more than a message), and "
                    + "reported as its own phase. Default: ${DEFAULT-VALUE}.")
    double warmup;

    @Option(names = "--resume-probes", defaultValue = "3",
            description = "After the measured phase, still under load: this many times an agent goes away until "
                    + "--resume-missed new messages were acked, then reconnects; its resume time is reported. "
                    + "Default: ${DEFAULT-VALUE}.")
    int resumeProbes;

    @Option(names = "--resume-missed", defaultValue = "300",
            description = "Messages an agent misses in each resume probe. Default: ${DEFAULT-VALUE}.")
    int resumeMissed;

    @Override
    public Integer call() throws Exception {
        try (ScenarioContext ctx = ScenarioContext.open("steady", o, 4)) {
            ctx.connectAll(o.crowd.visitors);
            double opening = Math.max(warmup, Math.ceil(o.crowd.visitors / rate) + 2);
            ctx.run.chatAt(rate);
            ctx.run.measure("opening", rate, opening);
            ctx.run.measure("steady", rate, duration);
            if (!ctx.run.agents().isEmpty() && resumeProbes > 0) {
                ctx.report.put("resumeProbes", ResumeProbe.run(ctx, resumeProbes, resumeMissed));
            }
            return ctx.finish();
        }
    }
}

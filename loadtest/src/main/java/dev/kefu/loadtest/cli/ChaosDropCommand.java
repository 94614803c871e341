package dev.kefu.loadtest.cli;

import dev.kefu.loadtest.chaos.DropProxy;
import dev.kefu.loadtest.client.SimClient;
import dev.kefu.loadtest.run.LoadRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

@Command(name = "chaos-drop",
        description = "Silent network drops: --drop-share of the visitors (and --drop-agents agents) reach the relay "
                + "through a TCP proxy that, --drops times, stops forwarding without closing anything for 10-120 s. "
                + "Short drops only delay; drops past 2 x heartbeat make both sides give the connection up, and "
                + "clients reconnect and resume. Exit 1 unless the books balance.")
final class ChaosDropCommand implements Callable<Integer> {
    @Mixin
    CommonOptions o;

    @Option(names = "--rate", defaultValue = "200", description = "Visitor messages per second. Default: ${DEFAULT-VALUE}.")
    double rate;

    @Option(names = "--drop-share", defaultValue = "0.2", description = "Share of visitors behind the proxy. Default: ${DEFAULT-VALUE}.")
    double dropShare;

    @Option(names = "--drop-agents", defaultValue = "1", description = "Agents behind the proxy. Default: ${DEFAULT-VALUE}.")
    int dropAgents;

    @Option(names = "--drop-secs", split = ",",
            description = "Length of each drop in seconds; default: --drops lengths drawn between --drop-min-sec and --drop-max-sec.")
    List<Double> dropSecs;

    @Option(names = "--drops", defaultValue = "2", description = "Drops when --drop-secs is absent. Default: ${DEFAULT-VALUE}.")
    int drops;

    @Option(names = "--drop-min-sec", defaultValue = "10", description = "Default: ${DEFAULT-VALUE}.")
    double dropMinSec;

    @Option(names = "--drop-max-sec", defaultValue = "120", description = "Default: ${DEFAULT-VALUE}.")
    double dropMaxSec;

    @Option(names = "--between-sec", defaultValue = "15", description = "Normal chat before each drop. Default: ${DEFAULT-VALUE}.")
    double betweenSec;

    @Option(names = "--tail-sec", defaultValue = "15", description = "Chat after the last drop. Default: ${DEFAULT-VALUE}.")
    double tailSec;

    @Option(names = "--seed", description = "Seed for drawing drop lengths (printed).")
    Long seed;

    @Override
    public Integer call() throws Exception {
        long s = seed != null ? seed : System.nanoTime();
        Random random = new Random(s);
        List<Double> lengths = new ArrayList<>();
        if (dropSecs != null && !dropSecs.isEmpty()) {
            lengths.addAll(dropSecs);
        } else {
            for (int i = 0; i < drops; i++) {
                lengths.add(Math.round((dropMinSec + random.nextDouble() * (dropMaxSec - dropMinSec)) * 10) / 10.0);
            }
        }
        try (ScenarioContext ctx = ScenarioContext.open("chaos-drop", o, 4);
             DropProxy proxy = new DropProxy(new InetSocketAddress("127.0.0.1", urlPort(o, ctx)))) {
            URI direct = ctx.url();
            URI viaProxy = URI.create("http://127.0.0.1:" + proxy.port());
            LoadRun run = ctx.run;
            ctx.connectAll(i -> i < dropAgents ? viaProxy : direct, i -> behindProxy(i) ? viaProxy : direct, o.crowd.visitors);
            long proxied = run.visitors().stream().filter(v -> behindProxy(v.index())).count();
            long proxiedLp = run.visitors().stream().filter(v -> behindProxy(v.index()) && SimClient.longPoll(v.transport())).count();
            ctx.out.printf(Locale.ROOT, "proxy 127.0.0.1:%d -> %s; behind it: %d visitors (%d on long-poll) and %d agent(s); "
                    + "drops %s s (seed %d)%n", proxy.port(), direct, proxied, proxiedLp, dropAgents, lengths, s);
            run.chatAt(rate);
            List<Map<String, Object>> done = new ArrayList<>();
            for (int d = 0; d < lengths.size(); d++) {
                LoadRun.sleep(betweenSec);
                long reconnectsBefore = run.ledger().reconnects.sum();
                ctx.out.printf(Locale.ROOT, "drop %d: silent for %.1f s from now%n", d + 1, lengths.get(d));
                proxy.dropping(true);
                LoadRun.sleep(lengths.get(d));
                proxy.dropping(false);
                ctx.out.printf(Locale.ROOT, "drop %d over: forwarding again%n", d + 1);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("seconds", lengths.get(d));
                m.put("reconnectsDuring", run.ledger().reconnects.sum() - reconnectsBefore);
                done.add(m);
            }
            LoadRun.sleep(tailSec);
            ctx.report.put("drops", Map.of("seed", s, "share", dropShare, "visitorsBehindProxy", proxied,
                    "longPollVisitorsBehindProxy", proxiedLp, "agentsBehindProxy", dropAgents,
                    "drops", done, "proxyConnections", proxy.accepted()));
            return ctx.finish();
        }
    }

    private static int urlPort(CommonOptions o, ScenarioContext ctx) {
        return ctx.url().getPort();
    }

    /** About {@code dropShare} of the visitors, spread by a hash so it cuts across the long-poll share. */
    private boolean behindProxy(int visitor) {
        long h = (visitor * 0x9E3779B97F4A7C15L) >>> 40;
        return (h % 10_000) < dropShare * 10_000;
    }
}

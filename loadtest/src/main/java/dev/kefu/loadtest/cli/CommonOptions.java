package dev.kefu.loadtest.cli;

import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Path;

/** Options every scenario shares: which relay, who connects, how the run ends. */
final class CommonOptions {
    @Option(names = "--url", paramLabel = "URL",
            description = "An already running relay (http://127.0.0.1:8080). Absent: the harness starts one "
                    + "from --relay-jar on a fresh data folder and seeds the site and agents.")
    URI url;

    @Option(names = "--peer", defaultValue = "kefu",
            description = "Which relay: kefu, or socketio (the Node Socket.IO peer under loadtest/peers/socketio, "
                    + "started by the harness; clients then speak Socket.IO over WebSocket). Default: ${DEFAULT-VALUE}.")
    String peer;

    @Option(names = "--peer-dir", paramLabel = "DIR",
            description = "The Socket.IO peer's folder. Default: loadtest/peers/socketio found from the working folder.")
    Path peerDir;

    @Option(names = "--relay-jar", paramLabel = "JAR",
            description = "Relay to start when --url is absent. Default: relay-server/target/kefu-relay.jar "
                    + "found from the working folder or next to this jar.")
    Path relayJar;

    @Option(names = "--relay-classpath", paramLabel = "CP", hidden = true,
            description = "Start the relay from this class path (dev.kefu.relay.cli.RelayCli) instead of a jar.")
    String relayClasspath;

    @Option(names = "--seeded", hidden = true,
            description = "WORK/data holds a seeded relay already (site and agents): skip 'site add' and 'agent add'.")
    boolean seeded;

    @Option(names = "--relay-jvm", paramLabel = "OPTS", defaultValue = "-Xmx1g",
            description = "JVM options of a started relay, space-separated. Default: ${DEFAULT-VALUE}.")
    String relayJvm;

    @Option(names = "--relay-flags", paramLabel = "FLAGS", defaultValue = "",
            description = "Extra 'serve' flags of a started relay, space-separated (e.g. \"--write-batch 500\").")
    String relayFlags;

    @Option(names = "--heartbeat-sec", defaultValue = "25",
            description = "Heartbeat of a started relay, seconds. Default: ${DEFAULT-VALUE}.")
    int heartbeatSec;

    @Option(names = "--relay-rate-limit", defaultValue = "1000",
            description = "Frames/s per connection a started relay allows (agents send a lot). Default: ${DEFAULT-VALUE}.")
    double relayRateLimit;

    @Option(names = "--relay-rate-burst", defaultValue = "20000",
            description = "Burst a started relay allows per connection. Default: ${DEFAULT-VALUE}.")
    int relayRateBurst;

    @Option(names = "--relay-pid", defaultValue = "-1",
            description = "PID of an external relay for /proc readings; default: whoever listens on the --url port.")
    long relayPid;

    @Option(names = "--work", paramLabel = "DIR",
            description = "Folder for the relay's data and log and the JSON result. Default: target/loadtest-runs/SCENARIO-TIME (ignored by git).")
    Path work;

    @Option(names = "--out", paramLabel = "FILE", description = "JSON result file. Default: WORK/result.json.")
    Path out;

    @Option(names = "--site", defaultValue = "shop", description = "Site key of the visitors. Default: ${DEFAULT-VALUE}.")
    String site;

    @Option(names = "--agents", defaultValue = "-1",
            description = "Simulated agents (each sees every conversation). Default: 4, or 0 for idle.")
    int agents;

    @Option(names = "--agent-user", defaultValue = "agent",
            description = "Agent username; with several agents, %%d in it is the agent number (1..N), else the "
                    + "number is appended (agent1, agent2...). Default: ${DEFAULT-VALUE}.")
    String agentUser;

    @Option(names = "--agent-password", defaultValue = "loadtest-password",
            description = "Password of every agent. Default: ${DEFAULT-VALUE}.")
    String agentPassword;

    @Option(names = "--visitors", defaultValue = "1000", description = "Simulated visitors. Default: ${DEFAULT-VALUE}.")
    int visitors;

    @Option(names = "--lp-share", defaultValue = "0.05",
            description = "Share of visitors on long-poll instead of WebSocket (0..1). Default: ${DEFAULT-VALUE}.")
    double lpShare;

    @Option(names = "--reply-ratio", defaultValue = "0.2",
            description = "Share of visitor messages an agent answers. Default: ${DEFAULT-VALUE}.")
    double replyRatio;

    @Option(names = "--ramp", defaultValue = "500",
            description = "New visitor connections per second while connecting. Default: ${DEFAULT-VALUE}.")
    double ramp;

    @Option(names = "--connect-timeout-sec", defaultValue = "15",
            description = "A connect without welcome within this is dropped and retried. Default: ${DEFAULT-VALUE}.")
    int connectTimeoutSec;

    @Option(names = "--grace-sec", defaultValue = "90",
            description = "After the load stops, longest wait for every outbox to drain and every message to "
                    + "arrive before the books close. Default: ${DEFAULT-VALUE}.")
    int graceSec;

    @Option(names = "--no-audit", description = "Skip the final replay of the whole store to a fresh agent.")
    boolean noAudit;

    @Option(names = "--quiet", description = "No progress line.")
    boolean quiet;
}

package dev.kefu.loadtest.cli;

import picocli.CommandLine.Option;

/** Who connects, how, and how they chat. */
final class CrowdOptions {
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
            description = "Share of visitors on long-poll instead of WebSocket (0..1); with --peer socketio, the "
                    + "peer's Engine.IO HTTP long-polling. Default: ${DEFAULT-VALUE}.")
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

    @Option(names = "--ws-deflate",
            description = "WebSocket clients offer permessage-deflate, as browsers do (a relay takes it only when "
                    + "started with serve --ws-deflate: add --relay-flags --ws-deflate).")
    boolean wsDeflate;
}

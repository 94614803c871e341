package dev.kefu.loadtest.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** How a run ends (grace period, audit) and where its data and result go. */
final class ResultOptions {
    @Option(names = "--work", paramLabel = "DIR",
            description = "Folder for the relay's data and log and the JSON result. Default: target/loadtest-runs/SCENARIO-TIME (ignored by git).")
    Path work;

    @Option(names = "--out", paramLabel = "FILE", description = "JSON result file. Default: WORK/result.json.")
    Path out;

    @Option(names = "--grace-sec", defaultValue = "90",
            description = "After the load stops, longest wait for every outbox to drain and every message to "
                    + "arrive before the books close. Default: ${DEFAULT-VALUE}.")
    int graceSec;

    @Option(names = "--no-audit", description = "Skip the final replay of the whole store to a fresh agent.")
    boolean noAudit;

    @Option(names = "--quiet", description = "No progress line.")
    boolean quiet;
}

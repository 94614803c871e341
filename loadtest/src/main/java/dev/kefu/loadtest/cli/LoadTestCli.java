package dev.kefu.loadtest.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar kefu-loadtest.jar SCENARIO [options]}: simulated visitors and agents against a
 * Kefu relay, with books that must balance. Exit code 0: the books balance; 1: they do not (a
 * message lost, duplicated or a seq gap); 2: bad usage; 3: the run itself failed.
 */
@Command(name = "kefu-loadtest", mixinStandardHelpOptions = true, version = "kefu-loadtest 0.1.0",
        description = "Load, soak and chaos runs against a Kefu relay; every message accounted for.",
        subcommands = {SteadyCommand.class, IdleCommand.class, StepUpCommand.class, StormCommand.class,
                ChaosKillCommand.class, ChaosDropCommand.class, CommandLine.HelpCommand.class})
public final class LoadTestCli {
    static final int RUN_FAILED = 3;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (for tests). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new LoadTestCli());
        // --relay-flags and --relay-jvm take the relay's own options: --relay-flags "--ws-deflate".
        cli.setAllowOptionsAsOptionParameters(true);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("kefu-loadtest: " + e);
            e.printStackTrace(cmd.getErr());
            return RUN_FAILED;
        });
        return cli.execute(args);
    }
}

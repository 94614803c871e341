package dev.kefu.loadtest.cli;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;

/**
 * What every scenario takes, mixed into each scenario command: which relay ({@link RelayOptions}),
 * who connects ({@link CrowdOptions}), how the run ends and where its result goes
 * ({@link ResultOptions}); each block is a section of the scenario's {@code --help}. Also gives
 * every scenario {@code --help} and {@code --version}.
 */
@Command(mixinStandardHelpOptions = true)
final class CommonOptions {
    @ArgGroup(validate = false, heading = "%nThe relay:%n")
    RelayOptions relay = new RelayOptions();

    @ArgGroup(validate = false, heading = "%nVisitors and agents:%n")
    CrowdOptions crowd = new CrowdOptions();

    @ArgGroup(validate = false, heading = "%nBooks and result:%n")
    ResultOptions result = new ResultOptions();
}

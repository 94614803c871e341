package dev.kefu.relay.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options every command shares: {@code --data DIR} and {@code --config FILE}. */
final class DataOption {
    /** Read by {@link RelayCli} before parsing (it supplies option defaults); declared so every command accepts it. */
    @Option(names = "--config", paramLabel = "FILE",
            description = "Properties file with option defaults (env KEFU_CONFIG); flags and KEFU_* win over it.")
    Path config;

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "./kefu-data",
            description = "Data folder (database, files). Default: ${DEFAULT-VALUE}; env KEFU_DATA.")
    Path data;
}

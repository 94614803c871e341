package dev.kefu.relay.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The {@code --data DIR} option every command shares. */
final class DataOption {
    @Option(names = "--data", paramLabel = "DIR", defaultValue = "./kefu-data",
            description = "Data folder (database, files). Default: ${DEFAULT-VALUE}; env KEFU_DATA.")
    Path data;
}

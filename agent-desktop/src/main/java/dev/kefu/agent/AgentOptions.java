package dev.kefu.agent;

import dev.kefu.agent.settings.Language;

import java.nio.file.Path;

/**
 * How the app was started (command line, or a test).
 *
 * @param server        relay address to use or prefill; null: the last one
 * @param user          username to use or prefill; null: the last one
 * @param password      read from standard input with {@code --password-stdin}: log in without the form; null otherwise
 * @param dataDir       cache and settings folder; null: the per-user default ({@link DataFolder})
 * @param language      interface language for this and later runs; null: as set
 * @param startupReport print start-up time and heap use, then quit (for the benchmark)
 */
public record AgentOptions(String server, String user, String password, Path dataDir, Language language,
                           boolean startupReport) {

    public static AgentOptions defaults() {
        return new AgentOptions(null, null, null, null, null, false);
    }

    public Path dataDirOrDefault() {
        return dataDir != null ? dataDir : DataFolder.defaultDir();
    }
}

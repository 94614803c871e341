package dev.kefu.relay.cli;

import dev.kefu.relay.RelayServer;
import dev.kefu.relay.backup.DataBackup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "backup", mixinStandardHelpOptions = true, versionProvider = RelayCli.Version.class,
        description = {"Back the data folder up into a new folder, while the relay runs or not.",
                "The backup holds kefu.db (a consistent snapshot made by SQLite, checked with integrity_check: "
                        + "every message in it had been acknowledged), files/ (the local file store, if any) and "
                        + DataBackup.MANIFEST + ". Restore it with 'kefu-relay restore --from PATH'.",
                "Never copy kefu.db by hand while the relay runs; and a copy of the data folder made by hand must "
                        + "be put back with 'restore' too, or clients keep seqs the relay hands out again.",
                "Exit code 1 if the backup could not be made (what it wrote is removed)."})
final class BackupCommand implements Callable<Integer> {
    @Mixin
    DataOption data;

    @Option(names = "--to", required = true, paramLabel = "PATH",
            description = "The backup folder to create; it must not exist, or be empty.")
    Path to;

    @Override
    public Integer call() {
        DataBackup.Result r;
        try {
            r = DataBackup.backup(data.data, to, RelayServer.version());
        } catch (DataBackup.Failed e) {
            System.err.println("backup: " + e.getMessage());
            return 1;
        }
        Path where = r.folder().toAbsolutePath().normalize();
        System.out.println("backup made: " + where);
        System.out.printf("  store:  %d messages in %d conversations, schema version %d, epoch %s, integrity ok%n",
                r.store().messages(), r.store().conversations(), r.store().schemaVersion(),
                r.store().epoch() == null ? "(none yet)" : r.store().epoch());
        System.out.println(r.hasFiles()
                ? String.format("  files:  %d files, %d bytes", r.files(), r.fileBytes())
                : "  files:  none (no local file store in " + data.data + ")");
        System.out.println("restore with: kefu-relay restore --from " + where + " (with the relay stopped)");
        return 0;
    }
}

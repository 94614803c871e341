package dev.kefu.relay.cli;

import dev.kefu.relay.backup.DataRestore;
import dev.kefu.relay.files.FileService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "restore", mixinStandardHelpOptions = true, versionProvider = RelayCli.Version.class,
        description = {"Put a backup in place of the data folder's store. Stop the relay first.",
                "PATH is a folder made by 'kefu-relay backup', a copy of a stopped relay's data folder, or one "
                        + "kefu.db file. It is checked (a Kefu store, a schema this relay knows, integrity_check) "
                        + "before anything moves; the current kefu.db (and files/, if the backup has files) goes to "
                        + "DIR/before-restore-TIME/; the schema is brought up to date; the store gets a new epoch, "
                        + "so that clients drop the seqs they hold and load the restored history again.",
                "Exit code 1 when refused (a relay runs on DIR, not a Kefu store, a newer schema, damaged): "
                        + "then nothing was changed."})
final class RestoreCommand implements Callable<Integer> {
    @Mixin
    DataOption data;

    @Option(names = "--from", required = true, paramLabel = "PATH", description = "The backup to restore.")
    Path from;

    @Override
    public Integer call() {
        DataRestore.Result r;
        try {
            r = DataRestore.restore(data.data, from);
        } catch (DataRestore.Failed e) {
            System.err.println("restore: " + e.getMessage());
            return 1;
        }
        Path dir = data.data.toAbsolutePath().normalize();
        System.out.println("restored " + from.toAbsolutePath().normalize() + " into " + dir);
        System.out.printf("  store:     %d messages in %d conversations, schema version %d%s%n",
                r.store().messages(), r.store().conversations(), r.store().schemaVersion(),
                r.backupSchema() == r.store().schemaVersion() ? "" : " (brought up from " + r.backupSchema() + ")");
        System.out.println("  epoch:     " + (r.previousEpoch() == null ? "(none)" : r.previousEpoch()) + " -> "
                + r.newEpoch() + " (the backup's was " + (r.backupEpoch() == null ? "none" : r.backupEpoch()) + ")");
        System.out.println(r.filesRestored() < 0
                ? "  files:     none in the backup; " + dir.resolve(FileService.LOCAL_FOLDER) + " left as it was"
                : "  files:     " + r.filesRestored() + " restored into " + dir.resolve(FileService.LOCAL_FOLDER));
        System.out.println(r.movedAside() == null
                ? "  previous:  none (there was no store in " + dir + ")"
                : "  previous:  " + String.join(", ", r.moved()) + " moved to " + r.movedAside()
                        + " (delete it once the relay runs well)");
        System.out.println("Start the relay: apps and widgets see the new epoch and load the restored history again.");
        return 0;
    }
}

package dev.kefu.e2e.harness;

import dev.kefu.relay.backup.DataBackup;
import dev.kefu.relay.backup.DataRestore;

import java.nio.file.Path;

/**
 * A backup of the relay's store and its restore, through the code of {@code kefu-relay backup} and
 * {@code kefu-relay restore}. A restore needs the relay stopped.
 *
 * <pre>{@code
 * StoreBackup backup = StoreBackup.take(data, backups);
 * ...
 * relay.stop();
 * backup.restoreInto(data); // the old store, a new epoch
 * relay.restart();
 * }</pre>
 */
public final class StoreBackup {
    private final Path folder;

    private StoreBackup(Path folder) {
        this.folder = folder;
    }

    /** Backs up the store in {@code dataDir} into {@code backupDir}, which must be new or empty. */
    public static StoreBackup take(Path dataDir, Path backupDir) throws DataBackup.Failed {
        return new StoreBackup(DataBackup.backup(dataDir, backupDir, "test").folder());
    }

    /** Restores the backup into {@code dataDir}, whose relay is stopped; returns the store's new epoch. */
    public String restoreInto(Path dataDir) throws DataRestore.Failed {
        return DataRestore.restore(dataDir, folder).newEpoch();
    }
}

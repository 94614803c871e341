package dev.kefu.e2e.harness;

import dev.kefu.relay.store.AccountStore;
import dev.kefu.relay.store.Ids;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * A backup of the relay's store and its restore, done by hand the way {@code kefu-relay backup} and
 * {@code kefu-relay restore} do it, until those commands exist and this can call them instead. Both
 * need the relay stopped: a stopped relay has checkpointed its WAL into {@code kefu.db}, so that
 * file alone is the store.
 *
 * <pre>{@code
 * relay.stop();
 * StoreBackup backup = StoreBackup.take(data, backups);
 * relay.restart();
 * ...
 * relay.stop();
 * backup.restoreInto(data); // what `kefu-relay restore` does: the old store, a new epoch
 * relay.restart();
 * }</pre>
 */
public final class StoreBackup {
    private static final String STORE = "kefu.db";

    private final Path copy;

    private StoreBackup(Path copy) {
        this.copy = copy;
    }

    /** Copies {@code dataDir/kefu.db} of a stopped relay into {@code backupDir}. */
    public static StoreBackup take(Path dataDir, Path backupDir) throws IOException {
        Path wal = dataDir.resolve(STORE + "-wal");
        if (Files.exists(wal) && Files.size(wal) > 0) {
            throw new IllegalStateException(wal + " holds writes: the relay is running or did not stop cleanly");
        }
        Files.createDirectories(backupDir);
        return new StoreBackup(Files.copy(dataDir.resolve(STORE), backupDir.resolve(STORE), StandardCopyOption.REPLACE_EXISTING));
    }

    /**
     * Mirrors {@code kefu-relay restore} (swap this for the command once it is on main): with the relay
     * stopped, puts the backup in place of {@code dataDir/kefu.db}, drops the WAL and shared-memory
     * files that belong to the replaced store, and gives the restored store a new random epoch, so
     * clients learn from the next {@code welcome} that the history went back in time.
     *
     * @return the new epoch
     */
    public String restoreInto(Path dataDir) throws IOException, SQLException {
        Path store = dataDir.resolve(STORE);
        Files.deleteIfExists(dataDir.resolve(STORE + "-wal"));
        Files.deleteIfExists(dataDir.resolve(STORE + "-shm"));
        Files.copy(copy, store, StandardCopyOption.REPLACE_EXISTING);
        String epoch = Ids.random(22);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + store);
             PreparedStatement ps = c.prepareStatement("UPDATE settings SET v = ? WHERE k = ?")) {
            ps.setString(1, epoch);
            ps.setString(2, AccountStore.EPOCH);
            if (ps.executeUpdate() != 1) {
                throw new IllegalStateException("the backup " + copy + " has no epoch to replace");
            }
        }
        return epoch;
    }
}

package dev.kefu.relay.backup;

import dev.kefu.relay.files.FileService;
import dev.kefu.relay.store.AccountStore;
import dev.kefu.relay.store.DataFolderLock;
import dev.kefu.relay.store.Ids;
import dev.kefu.relay.store.SqliteDatabase;
import dev.kefu.relay.store.StoreException;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Puts a backup in place of a data folder's store, with the relay stopped. The backup's store is
 * copied into a staging folder inside the data folder and checked there (a Kefu store, a schema
 * this relay knows, intact), brought up to date and given a <b>new epoch</b>, all before anything
 * of the data folder moves: a refusal leaves it as it was. Then the current store ({@code kefu.db}
 * with its {@code -wal} and {@code -shm}, and {@code files/} when the backup has files) moves to
 * {@code DIR/before-restore-TIME/}, and the staged store and the backup's files take its place.
 *
 * <p>The new epoch is what keeps clients from losing messages: the restored store hands out again
 * seqs that clients already hold for messages it lost, and a client that sees another epoch in
 * {@code welcome} forgets its seqs instead of taking new messages for old ones (docs/protocol.md,
 * "After a restore from backup").
 */
public final class DataRestore {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");
    /** Length of a new epoch, as the relay makes the first one. */
    private static final int EPOCH_LENGTH = 22;

    private DataRestore() {}

    /**
     * What a restore did.
     *
     * @param previousEpoch the epoch of the store that was replaced; null if there was none, or it
     *                      could not be read
     * @param backupEpoch   the epoch the backup was made under (null in a backup from before epochs)
     * @param newEpoch      the restored store's epoch from now on
     * @param backupSchema  the backup's schema version, before it was brought up to date
     * @param store         the restored store, as it is now
     * @param movedAside    where the replaced data went; null if the data folder had no store
     * @param filesRestored files copied from the backup; -1 when the backup has no files folder
     *                      (then {@code DIR/files} was left as it was)
     */
    public record Result(String previousEpoch, String backupEpoch, String newEpoch, int backupSchema,
                         StoreFacts store, Path movedAside, List<String> moved, long filesRestored) {}

    /** The restore was refused or failed; {@code untouched} says whether the data folder is as it was. */
    public static final class Failed extends Exception {
        private final boolean untouched;

        Failed(String message, boolean untouched) {
            super(message);
            this.untouched = untouched;
        }

        public boolean untouched() {
            return untouched;
        }
    }

    /**
     * Restores {@code from} (a backup folder made by {@link DataBackup}, a folder holding a
     * {@code kefu.db}, or one SQLite store file) into {@code dataDir}.
     */
    public static Result restore(Path dataDir, Path from) throws Failed {
        Source source = source(from);
        try (DataFolderLock lock = DataFolderLock.acquire(dataDir)) {
            return restoreLocked(lock.folder(), source);
        } catch (DataFolderLock.Held e) {
            throw new Failed(e.getMessage() + ": stop the relay first. Nothing was changed.", true);
        } catch (StoreException e) {
            throw new Failed(e.getMessage(), true);
        }
    }

    /** The backup's parts: its store file, the {@code -wal} beside it (a copy of a stopped relay's folder), its files. */
    private record Source(Path db, Path wal, Path files) {}

    private static Source source(Path from) throws Failed {
        Path db;
        Path files = null;
        if (Files.isDirectory(from)) {
            db = from.resolve(SqliteDatabase.FILE_NAME);
            if (!Files.isRegularFile(db)) {
                throw new Failed(from + " holds no " + SqliteDatabase.FILE_NAME + ": not a Kefu backup. Nothing was changed.", true);
            }
            checkFormat(from.resolve(DataBackup.MANIFEST));
            Path f = from.resolve(FileService.LOCAL_FOLDER);
            files = Files.isDirectory(f) ? f : null;
        } else if (Files.isRegularFile(from)) {
            db = from;
        } else {
            throw new Failed("no backup at " + from + ". Nothing was changed.", true);
        }
        Path wal = db.resolveSibling(db.getFileName() + "-wal");
        return new Source(db, Files.isRegularFile(wal) ? wal : null, files);
    }

    private static void checkFormat(Path manifest) throws Failed {
        if (!Files.isRegularFile(manifest)) {
            return; // a folder copied by hand: its kefu.db is checked like any other
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(manifest, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new Failed("cannot read " + manifest + ": " + e.getMessage() + ". Nothing was changed.", true);
        }
        int format;
        try {
            format = Integer.parseInt(p.getProperty("format", "1").strip());
        } catch (NumberFormatException e) {
            format = Integer.MAX_VALUE;
        }
        if (format > DataBackup.FORMAT) {
            throw new Failed(manifest + " describes a backup format newer than this relay knows (" + p.getProperty("format")
                    + "): restore it with a newer relay. Nothing was changed.", true);
        }
    }

    private static Result restoreLocked(Path dir, Source source) throws Failed {
        Path current = dir.resolve(SqliteDatabase.FILE_NAME);
        try {
            if (Files.isRegularFile(current) && Files.isSameFile(current, source.db())) {
                throw new Failed(source.db() + " is the store in use, not a backup. Nothing was changed.", true);
            }
        } catch (IOException e) {
            throw new Failed("cannot compare " + source.db() + " with " + current + ": " + e.getMessage(), true);
        }
        String stamp = LocalDateTime.now().format(STAMP);
        Path staging = unused(dir, ".restore-" + stamp);
        try {
            Staged staged = stage(source, staging);
            String previousEpoch = previousEpoch(current);
            Path aside = unused(dir, "before-restore-" + stamp);
            List<String> moved = moveAside(dir, aside, source.files() != null);
            try {
                Files.move(staging.resolve(SqliteDatabase.FILE_NAME), current);
                long filesRestored = -1;
                if (source.files() != null) {
                    filesRestored = copyTree(source.files(), dir.resolve(FileService.LOCAL_FOLDER));
                }
                return new Result(previousEpoch, staged.backupEpoch(), staged.facts().epoch(), staged.backupSchema(),
                        staged.facts(), moved.isEmpty() ? null : aside, moved, filesRestored);
            } catch (IOException e) {
                throw new Failed("restoring into " + dir + " failed halfway: " + e.getMessage() + ". The data from before is in "
                        + aside + " (" + String.join(", ", moved) + "): move it back to undo.", false);
            }
        } finally {
            DataBackup.deleteTree(staging);
        }
    }

    private record Staged(StoreFacts facts, String backupEpoch, int backupSchema) {}

    /**
     * Copies the backup's store into {@code staging}, checks it, brings its schema up to date and
     * gives it a new epoch. The data folder's own files are not touched.
     */
    private static Staged stage(Source source, Path staging) throws Failed {
        Path db = staging.resolve(SqliteDatabase.FILE_NAME);
        StoreFacts before;
        try {
            Files.createDirectories(staging);
            Files.copy(source.db(), db);
            if (source.wal() != null) {
                Files.copy(source.wal(), staging.resolve(SqliteDatabase.FILE_NAME + "-wal"));
            }
        } catch (IOException e) {
            throw new Failed("cannot copy the backup " + source.db() + ": " + e.getMessage() + ". Nothing was changed.", true);
        }
        try {
            before = StoreFacts.check(db);
        } catch (StoreFacts.Refused e) {
            throw new Failed("refused: " + e.getMessage().replace(db.toString(), source.db().toString())
                    + ". Nothing was changed.", true);
        }
        try (SqliteDatabase store = SqliteDatabase.open(staging)) {
            new AccountStore(store).putSetting(AccountStore.EPOCH, newEpoch(before.epoch()));
        } catch (StoreException e) {
            throw new Failed("cannot bring the backup up to date: " + e.getMessage() + ". Nothing was changed.", true);
        }
        try {
            // Out of WAL mode, the store is the one file (the relay turns WAL on again): only kefu.db moves.
            try (Connection c = StoreFacts.connect(db, false); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("PRAGMA journal_mode = DELETE")) {
                if (!rs.next() || !"delete".equalsIgnoreCase(rs.getString(1))) {
                    throw new SQLException("the store stays in WAL mode");
                }
            }
            StoreFacts after = StoreFacts.of(db);
            Files.deleteIfExists(staging.resolve(SqliteDatabase.FILE_NAME + "-wal"));
            Files.deleteIfExists(staging.resolve(SqliteDatabase.FILE_NAME + "-shm"));
            return new Staged(after, before.epoch(), before.schemaVersion());
        } catch (IOException | SQLException e) {
            throw new Failed("cannot read the restored store: " + e.getMessage() + ". Nothing was changed.", true);
        }
    }

    private static String newEpoch(String unlike) {
        String epoch;
        do {
            epoch = Ids.random(EPOCH_LENGTH);
        } while (epoch.equals(unlike));
        return epoch;
    }

    /** The replaced store's epoch, read without writing to it; null if none or unreadable. */
    private static String previousEpoch(Path current) {
        try {
            return StoreFacts.of(current).epoch();
        } catch (SQLException | RuntimeException e) {
            return null;
        }
    }

    /** Moves the store's files (and {@code files/} when {@code withFiles}) into {@code aside}; returns their names. */
    private static List<String> moveAside(Path dir, Path aside, boolean withFiles) throws Failed {
        List<String> names = new ArrayList<>(List.of(SqliteDatabase.FILE_NAME, SqliteDatabase.FILE_NAME + "-wal",
                SqliteDatabase.FILE_NAME + "-shm"));
        if (withFiles) {
            names.add(FileService.LOCAL_FOLDER);
        }
        List<String> moved = new ArrayList<>();
        try {
            for (String name : names) {
                Path p = dir.resolve(name);
                if (Files.exists(p)) {
                    if (moved.isEmpty()) {
                        Files.createDirectories(aside);
                    }
                    Files.move(p, aside.resolve(name));
                    moved.add(name);
                }
            }
            return moved;
        } catch (IOException e) {
            // Put back what moved, so the folder is as it was.
            for (String name : moved) {
                try {
                    Files.move(aside.resolve(name), dir.resolve(name));
                } catch (IOException again) {
                    throw new Failed("cannot move the current data aside (" + e.getMessage() + "), nor back: "
                            + String.join(", ", moved) + " are in " + aside + ": move them back by hand", false);
                }
            }
            DataBackup.deleteTree(aside);
            throw new Failed("cannot move the current data aside into " + aside + ": " + e.getMessage()
                    + ". Nothing was changed.", true);
        }
    }

    /** Copies a backup's file store (as {@link DataBackup} does: partial uploads left out); returns the files copied. */
    private static long copyTree(Path from, Path to) throws IOException {
        long[] counted = new long[2];
        DataBackup.copyFiles(from, to, counted);
        return counted[0];
    }

    /** {@code dir/name}, or {@code dir/name-2}, ... whichever does not exist yet. */
    private static Path unused(Path dir, String name) {
        Path p = dir.resolve(name);
        for (int i = 2; Files.exists(p); i++) {
            p = dir.resolve(name + "-" + i);
        }
        return p;
    }
}

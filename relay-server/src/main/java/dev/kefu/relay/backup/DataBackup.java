package dev.kefu.relay.backup;

import dev.kefu.relay.files.FileService;
import dev.kefu.relay.store.SqliteDatabase;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Comparator;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * A backup of a data folder, made while a relay may be running on it and writing. A backup is a
 * folder:
 * <pre>
 * PATH/kefu.db             the store: one SQLite file (no -wal), a consistent snapshot
 * PATH/files/              the local file store (DIR/files), when the data folder has one
 * PATH/backup.properties   what it holds (format, time, relay version, schema, epoch, counts)
 * </pre>
 * The store is copied by SQLite itself ({@code VACUUM INTO}, one read transaction): it holds
 * exactly the commits made before the snapshot, so every message in it had been acked, and no
 * torn page. The copy must pass {@code PRAGMA integrity_check}. Files are copied after the store,
 * so every file its messages name is there (an upload is in place before its row is written).
 */
public final class DataBackup {
    /** Name of the description file in a backup folder. */
    public static final String MANIFEST = "backup.properties";
    /** Version of the backup folder's layout; {@link DataRestore} refuses a newer one. */
    public static final int FORMAT = 1;

    private DataBackup() {}

    /** What a backup holds; {@code files} and {@code fileBytes} are 0 when it has no files folder. */
    public record Result(Path folder, StoreFacts store, boolean hasFiles, long files, long fileBytes) {}

    /** Something stopped the backup; what it had written is removed. */
    public static final class Failed extends Exception {
        Failed(String message) {
            super(message);
        }
    }

    /**
     * Backs {@code dataDir} up into the new folder {@code to} (it must not exist, or be empty).
     * Reads only: the relay on {@code dataDir} keeps working meanwhile.
     */
    public static Result backup(Path dataDir, Path to, String relayVersion) throws Failed {
        Path db = dataDir.resolve(SqliteDatabase.FILE_NAME);
        if (!Files.isRegularFile(db)) {
            throw new Failed("no relay store in " + dataDir + " (" + db + " is missing)");
        }
        boolean created;
        try {
            created = prepareTarget(to);
        } catch (IOException e) {
            throw new Failed("cannot write the backup to " + to + ": " + e.getMessage());
        }
        try {
            Path copy = to.resolve(SqliteDatabase.FILE_NAME);
            snapshot(db, copy);
            StoreFacts facts;
            try {
                facts = StoreFacts.of(copy);
            } catch (SQLException e) {
                throw new Failed("the copy " + copy + " cannot be read: " + e.getMessage());
            }
            Path files = dataDir.resolve(FileService.LOCAL_FOLDER);
            long[] counted = {0, 0};
            boolean hasFiles = Files.isDirectory(files);
            if (hasFiles) {
                copyFiles(files, to.resolve(FileService.LOCAL_FOLDER), counted);
            }
            writeManifest(to, relayVersion, facts, hasFiles);
            return new Result(to, facts, hasFiles, counted[0], counted[1]);
        } catch (Failed | IOException | RuntimeException e) {
            if (created) {
                deleteTree(to);
            } else {
                emptyFolder(to);
            }
            if (e instanceof Failed f) {
                throw f;
            }
            throw new Failed("backup to " + to + " failed: " + e.getMessage());
        }
    }

    /** Creates {@code to}; true if it did, false if it was there empty. */
    private static boolean prepareTarget(Path to) throws IOException, Failed {
        if (Files.isDirectory(to)) {
            try (Stream<Path> in = Files.list(to)) {
                if (in.findAny().isPresent()) {
                    throw new Failed(to + " exists and is not empty: name a new folder for the backup");
                }
            }
            return false;
        }
        if (Files.exists(to)) {
            throw new Failed(to + " exists: name a new folder for the backup");
        }
        Path parent = to.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        // The store holds password hashes and signing keys: the folder is as closed as the data folder.
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createDirectory(to, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));
        } else {
            Files.createDirectory(to);
        }
        return true;
    }

    /**
     * {@code VACUUM INTO}: one read transaction over the live store (the relay's writers go on), the
     * result a compact file of its own. Then made a plain rollback-journal file, so the backup is
     * the one file, and checked.
     */
    private static void snapshot(Path live, Path copy) throws Failed {
        try (Connection c = StoreFacts.connect(live, false)) {
            try (PreparedStatement ps = c.prepareStatement("VACUUM INTO ?")) {
                ps.setString(1, copy.toAbsolutePath().toString());
                ps.execute();
            }
        } catch (SQLException e) {
            throw new Failed("cannot copy the store " + live + ": " + e.getMessage());
        }
        try (Connection c = StoreFacts.connect(copy, false)) {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode = DELETE");
            }
            String integrity = StoreFacts.integrity(c);
            if (!"ok".equals(integrity)) {
                throw new Failed("the copy failed its integrity check: " + integrity);
            }
        } catch (SQLException e) {
            throw new Failed("cannot check the copy " + copy + ": " + e.getMessage());
        }
    }

    /**
     * Copies a file store, leaving out uploads still being received ({@code .upload*.part}) and files
     * removed meanwhile; adds the files and bytes copied to {@code counted[0]} and {@code counted[1]}.
     */
    static void copyFiles(Path from, Path to, long[] counted) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                String name = file.getFileName().toString();
                if (attrs.isRegularFile() && !(name.startsWith(".upload") && name.endsWith(".part"))) {
                    try {
                        Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES);
                        counted[0]++;
                        counted[1] += attrs.size();
                    } catch (NoSuchFileException gone) {
                        // removed while we walked: nothing to keep
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
    }

    private static void writeManifest(Path to, String relayVersion, StoreFacts facts, boolean hasFiles) throws IOException {
        Properties p = new Properties();
        p.setProperty("format", String.valueOf(FORMAT));
        p.setProperty("created", Instant.now().toString());
        p.setProperty("relayVersion", relayVersion);
        p.setProperty("schemaVersion", String.valueOf(facts.schemaVersion()));
        if (facts.epoch() != null) {
            p.setProperty("epoch", facts.epoch());
        }
        p.setProperty("messages", String.valueOf(facts.messages()));
        p.setProperty("conversations", String.valueOf(facts.conversations()));
        p.setProperty("files", hasFiles ? "local" : "none");
        try (Writer w = Files.newBufferedWriter(to.resolve(MANIFEST), StandardCharsets.UTF_8)) {
            p.store(w, "Kefu relay backup. Restore: kefu-relay restore --from THIS_FOLDER (with the relay stopped)");
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort: what stays is named in no result
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }

    private static void emptyFolder(Path folder) {
        try (Stream<Path> in = Files.list(folder)) {
            in.forEach(DataBackup::deleteTree);
        } catch (IOException e) {
            // best effort
        }
    }
}

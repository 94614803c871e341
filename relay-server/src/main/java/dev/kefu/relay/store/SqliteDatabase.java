package dev.kefu.relay.store;

import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The relay's SQLite file ({@code kefu.db} in the data folder) in WAL mode with
 * {@code synchronous=FULL}: a commit survives a power cut. Hands out one writer connection (used
 * only by the {@link GroupCommitWriter} thread, or by the CLI) and a small pool of reader
 * connections, which WAL lets run beside the writer. Applies schema migrations on open.
 */
public final class SqliteDatabase implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SqliteDatabase.class);
    /** Migration scripts in order; version N is {@code MIGRATIONS[N-1]}. Append, never edit. */
    private static final List<String> MIGRATIONS = List.of("V1__init.sql", "V2__workflow.sql", "V3__files.sql",
            "V4__closed_changes.sql", "V5__search_backlog.sql", "V6__signed_visitors.sql");
    private static final int READERS = 4;
    /** The database's file name in the data folder; SQLite keeps {@code -wal} and {@code -shm} files beside it. */
    public static final String FILE_NAME = "kefu.db";
    /** The newest schema version this relay knows: it refuses a database with a higher one. */
    public static final int SCHEMA_VERSION = MIGRATIONS.size();

    private final Path file;
    private final Connection writer;
    private GroupCommitWriter groupWriter;
    private WalCheckpointer checkpointer;
    private final BlockingQueue<Connection> readers = new ArrayBlockingQueue<>(READERS);
    private final List<Connection> allReaders = new ArrayList<>();

    private SqliteDatabase(Path file) throws SQLException {
        this.file = file;
        this.writer = connect(false);
        migrate();
        for (int i = 0; i < READERS; i++) {
            Connection c = connect(true);
            allReaders.add(c);
            readers.add(c);
        }
    }

    /** Opens (creating if needed) {@code kefu.db} in {@code dataDir} and brings its schema up to date. */
    public static SqliteDatabase open(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
            return new SqliteDatabase(dataDir.resolve(FILE_NAME));
        } catch (IOException | SQLException e) {
            throw new StoreException("cannot open the database in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    private Connection connect(boolean readOnly) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout(10_000);
        config.enforceForeignKeys(true);
        config.setReadOnly(readOnly);
        config.setGetGeneratedKeys(false);
        Connection c = config.createConnection("jdbc:sqlite:" + file);
        if (!readOnly) {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_size_limit = 67108864");
            }
        }
        return c;
    }

    /** The schema version of the open file ({@code PRAGMA user_version}). */
    public int schemaVersion() {
        try (Statement s = writer.createStatement(); var rs = s.executeQuery("PRAGMA user_version")) {
            return rs.next() ? rs.getInt(1) : 0;
        } catch (SQLException e) {
            throw new StoreException("cannot read the schema version", e);
        }
    }

    private void migrate() throws SQLException {
        int current = schemaVersion();
        if (current > MIGRATIONS.size()) {
            throw new StoreException("the database " + file + " has schema version " + current
                    + ", newer than this relay knows (" + MIGRATIONS.size() + "): upgrade the relay");
        }
        for (int v = current + 1; v <= MIGRATIONS.size(); v++) {
            String script = readScript(MIGRATIONS.get(v - 1));
            writer.setAutoCommit(false);
            try (Statement s = writer.createStatement()) {
                // Scripts hold no semicolons inside strings, so dropping comments and splitting is safe.
                for (String sql : script.replaceAll("(?m)--.*$", "").split(";")) {
                    if (!sql.isBlank()) {
                        s.execute(sql);
                    }
                }
                s.execute("PRAGMA user_version = " + v);
                writer.commit();
                log.info("database migrated to schema version {}", v);
            } catch (SQLException e) {
                writer.rollback();
                throw e;
            } finally {
                writer.setAutoCommit(true);
            }
        }
    }

    private static String readScript(String name) {
        try (InputStream in = SqliteDatabase.class.getResourceAsStream("/db/sqlite/" + name)) {
            if (in == null) {
                throw new StoreException("migration script missing from the jar: " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new StoreException("cannot read migration " + name, e);
        }
    }

    /**
     * Starts the group-commit writer thread, which owns the writer connection from now on: every
     * later write, {@link #writeNow} included, goes through it.
     */
    public synchronized GroupCommitWriter startWriter(int maxBatch, int maxQueued, MeterRegistry meters) {
        if (groupWriter == null) {
            try (Statement s = writer.createStatement()) {
                s.execute("PRAGMA wal_autocheckpoint = " + WalCheckpointer.WRITER_AUTOCHECKPOINT_PAGES);
                checkpointer = new WalCheckpointer(connect(false), meters);
            } catch (SQLException e) {
                log.warn("no separate WAL checkpointer ({}); the writer checkpoints as it commits", e.getMessage());
            }
            groupWriter = new GroupCommitWriter(StatementCache.wrap(writer), maxBatch, maxQueued, meters);
        }
        return groupWriter;
    }

    /**
     * Runs one write and waits for its commit. Before {@link #startWriter} (set-up, the CLI) it runs
     * on the writer connection directly; after, it is queued like every other write. For rare
     * administrative writes only: message traffic uses the writer's futures without waiting.
     */
    public <T> T writeNow(SqlFunction<T> work) {
        GroupCommitWriter w;
        synchronized (this) {
            w = groupWriter;
            if (w == null) {
                try {
                    return work.apply(writer);
                } catch (SQLException e) {
                    throw new StoreException("write failed: " + e.getMessage(), e);
                }
            }
        }
        try {
            return w.submit(work::apply).join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof StoreException se ? se
                    : new StoreException("write failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** A reader connection for the duration of {@code work}. */
    public <T> T read(SqlFunction<T> work) {
        Connection c;
        try {
            c = readers.poll(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted waiting for a reader connection");
        }
        if (c == null) {
            throw new StoreException("no reader connection free for 30 s");
        }
        try {
            return work.apply(c);
        } catch (SQLException e) {
            throw new StoreException("read failed: " + e.getMessage(), e);
        } finally {
            readers.add(c);
        }
    }

    @Override
    public void close() {
        GroupCommitWriter w;
        synchronized (this) {
            w = groupWriter;
        }
        if (w != null) {
            w.close();
            if (w.isAlive()) {
                // Still committing after its grace period: closing the connection under it would
                // fail writes already queued. Leave the file to the process's exit; WAL keeps it sound.
                log.error("the store writer is still busy after shutdown's grace period; database left open");
                return;
            }
        }
        WalCheckpointer cp;
        synchronized (this) {
            cp = checkpointer;
        }
        if (cp != null) {
            cp.close();
        }
        for (Connection c : allReaders) {
            closeQuietly(c);
        }
        try (Statement s = writer.createStatement()) {
            s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
        } catch (SQLException e) {
            log.warn("checkpoint on close failed: {}", e.getMessage());
        }
        closeQuietly(writer);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            log.warn("closing a connection failed: {}", e.getMessage());
        }
    }

    /** A unit of JDBC work. */
    @FunctionalInterface
    public interface SqlFunction<T> {
        T apply(Connection c) throws SQLException;
    }
}

package dev.kefu.relay.backup;

import dev.kefu.relay.store.AccountStore;
import dev.kefu.relay.store.SqliteDatabase;
import org.sqlite.SQLiteConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What a relay store file holds, read over a plain SQLite connection: no migration, no relay
 * needed, and it works beside a running relay.
 *
 * @param schemaVersion its {@code PRAGMA user_version}
 * @param epoch         its {@link AccountStore#EPOCH} setting; null in a store from before epochs
 * @param messages      stored messages, every conversation
 * @param conversations conversations, closed ones included
 */
public record StoreFacts(int schemaVersion, String epoch, long messages, long conversations) {
    /** Tables every Kefu store has had since schema version 1. */
    private static final Set<String> KEFU_TABLES = Set.of("settings", "sites", "agents", "conversations", "messages");

    /** The file is not a relay store this relay can take (not SQLite, another program's, newer, damaged). */
    public static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    /**
     * Checks that {@code dbFile} is an intact Kefu store with a schema this relay knows, and reads
     * its facts. Opens it read-write (SQLite may roll a {@code -wal} beside it into it): use it on
     * a copy, never on a backup the user keeps.
     */
    static StoreFacts check(Path dbFile) throws Refused {
        try (Connection c = connect(dbFile, false)) {
            int version;
            List<String> tables = new ArrayList<>();
            try (Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table'")) {
                    while (rs.next()) {
                        tables.add(rs.getString(1));
                    }
                }
                try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
                    version = rs.next() ? rs.getInt(1) : 0;
                }
            }
            if (version < 1 || !tables.containsAll(KEFU_TABLES)) {
                throw new Refused(dbFile + " is an SQLite database but not a Kefu relay store");
            }
            if (version > SqliteDatabase.SCHEMA_VERSION) {
                throw new Refused(dbFile + " has schema version " + version + ", newer than this relay knows ("
                        + SqliteDatabase.SCHEMA_VERSION + "): restore it with the relay version that made it, or a newer one");
            }
            String integrity = integrity(c);
            if (!"ok".equals(integrity)) {
                throw new Refused(dbFile + " is damaged (integrity_check: " + integrity + ")");
            }
            return read(c, version);
        } catch (SQLException e) {
            throw new Refused(dbFile + " is not a Kefu relay store (" + e.getMessage() + ")");
        }
    }

    /** The facts of a store made by a relay (a backup just written, the store in place), read-only. */
    static StoreFacts of(Path dbFile) throws SQLException {
        if (!Files.isRegularFile(dbFile)) {
            throw new SQLException("no file " + dbFile);
        }
        try (Connection c = connect(dbFile, true)) {
            int version;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA user_version")) {
                version = rs.next() ? rs.getInt(1) : 0;
            }
            return read(c, version);
        }
    }

    /** {@code PRAGMA integrity_check}: "ok", or its first findings. */
    static String integrity(Connection c) throws SQLException {
        List<String> found = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA integrity_check(20)")) {
            while (rs.next()) {
                found.add(rs.getString(1));
            }
        }
        return found.isEmpty() ? "no answer" : String.join("; ", found);
    }

    private static StoreFacts read(Connection c, int version) throws SQLException {
        String epoch;
        try (PreparedStatement ps = c.prepareStatement("SELECT v FROM settings WHERE k = ?")) {
            ps.setString(1, AccountStore.EPOCH);
            try (ResultSet rs = ps.executeQuery()) {
                epoch = rs.next() ? rs.getString(1) : null;
            }
        }
        return new StoreFacts(version, epoch, count(c, "messages"), count(c, "conversations"));
    }

    private static long count(Connection c, String table) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    /** A connection to {@code dbFile} that waits for the relay's writes (never sets the journal mode). */
    static Connection connect(Path dbFile, boolean readOnly) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout(10_000);
        config.setReadOnly(readOnly);
        if (!readOnly) {
            // A missing file must not be created empty: SQLITE_OPEN_READWRITE without SQLITE_OPEN_CREATE.
            config.setOpenMode(org.sqlite.SQLiteOpenMode.READWRITE);
            config.resetOpenMode(org.sqlite.SQLiteOpenMode.CREATE);
        }
        return config.createConnection("jdbc:sqlite:" + dbFile);
    }
}

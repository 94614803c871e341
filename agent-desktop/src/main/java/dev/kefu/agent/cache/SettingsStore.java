package dev.kefu.agent.cache;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The app's settings, one SQLite file per data folder ({@code settings.db}), as plain key/value
 * text. Shared by every account that uses the folder. Thread-safe (synchronised); blocking.
 */
public final class SettingsStore implements AutoCloseable {
    private static final List<String> MIGRATIONS = List.of(
            "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)");

    private final Sql sql;

    private SettingsStore(Sql sql) {
        this.sql = sql;
    }

    public static SettingsStore open(Path dataDir) {
        return new SettingsStore(new Sql(SqliteFile.open(dataDir.resolve("settings.db"), MIGRATIONS)));
    }

    public synchronized Optional<String> get(String key) {
        return sql.queryOne("SELECT value FROM settings WHERE key = ?", rs -> rs.getString(1), key);
    }

    public synchronized void put(String key, String value) {
        if (value == null) {
            remove(key);
            return;
        }
        sql.update("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                key, value);
    }

    /** Writes several settings in one transaction; a null value removes its key. */
    public synchronized void putAll(Map<String, String> values) {
        sql.transaction(() -> {
            values.forEach(this::put);
            return null;
        });
    }

    public synchronized void remove(String key) {
        sql.update("DELETE FROM settings WHERE key = ?", key);
    }

    public synchronized Map<String, String> all() {
        Map<String, String> out = new TreeMap<>();
        sql.query("SELECT key, value FROM settings", rs -> out.put(rs.getString(1), rs.getString(2)));
        return out;
    }

    @Override
    public synchronized void close() {
        sql.close();
    }
}

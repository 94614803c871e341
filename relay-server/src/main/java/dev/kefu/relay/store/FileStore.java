package dev.kefu.relay.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Facts about uploaded files: metadata of files the relay keeps itself, and where files were sent. */
public final class FileStore {
    private final SqliteDatabase db;

    public FileStore(SqliteDatabase db) {
        this.db = db;
    }

    /** A file kept by the relay (local mode). */
    public record FileRecord(String key, String name, String mime, long size, String uploader, long createdAt) {}

    public void save(FileRecord f) {
        db.writeNow(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO files (key, name, mime, size, uploader, created_at) "
                    + "VALUES (?,?,?,?,?,?) ON CONFLICT (key) DO UPDATE SET name = excluded.name, mime = excluded.mime, "
                    + "size = excluded.size")) {
                ps.setString(1, f.key());
                ps.setString(2, f.name());
                ps.setString(3, f.mime());
                ps.setLong(4, f.size());
                ps.setString(5, f.uploader());
                ps.setLong(6, f.createdAt());
                return ps.executeUpdate();
            }
        });
    }

    public Optional<FileRecord> find(String key) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT key, name, mime, size, uploader, created_at FROM files WHERE key = ?")) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(new FileRecord(rs.getString(1), rs.getString(2), rs.getString(3),
                            rs.getLong(4), rs.getString(5), rs.getLong(6))) : Optional.empty();
                }
            }
        });
    }

    /** The conversations in which a message carried this file. */
    public List<String> conversationsWith(String key) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT conv FROM messages "
                    + "WHERE file IS NOT NULL AND json_extract(file, '$.key') = ?")) {
                ps.setString(1, key);
                List<String> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getString(1));
                    }
                }
                return out;
            }
        });
    }
}

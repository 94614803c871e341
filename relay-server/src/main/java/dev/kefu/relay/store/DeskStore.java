package dev.kefu.relay.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** The support desk's own records: quick replies and the block list. Written rarely, by agents and admins. */
public final class DeskStore {
    private static final String QR_COLUMNS = "id, site, agent_id, shortcut, text, image_key, created_at, updated_at";
    private static final String BLOCK_COLUMNS = "id, site, visitor_id, ip, reason, by_agent, created_at";

    private final SqliteDatabase db;

    public DeskStore(SqliteDatabase db) {
        this.db = db;
    }

    // ---- quick replies ----

    /** The agent's personal replies and the shared ones of the sites it may see ({@code sites} null = all). */
    public List<QuickReplyRecord> quickRepliesFor(String agentId, Collection<String> sites) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + QR_COLUMNS + " FROM quick_replies "
                    + "WHERE agent_id = ? OR agent_id IS NULL ORDER BY shortcut, id")) {
                ps.setString(1, agentId);
                List<QuickReplyRecord> all = quickReplies(ps);
                return all.stream().filter(q -> !q.isShared() || q.site() == null || sites == null
                        || sites.contains(q.site())).toList();
            }
        });
    }

    public Optional<QuickReplyRecord> quickReply(String id) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + QR_COLUMNS + " FROM quick_replies WHERE id = ?")) {
                ps.setString(1, id);
                List<QuickReplyRecord> found = quickReplies(ps);
                return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
            }
        });
    }

    public void saveQuickReply(QuickReplyRecord q) {
        db.writeNow(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO quick_replies (" + QR_COLUMNS + ") "
                    + "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET site = excluded.site, "
                    + "shortcut = excluded.shortcut, text = excluded.text, image_key = excluded.image_key, "
                    + "updated_at = excluded.updated_at")) {
                ps.setString(1, q.id());
                ps.setString(2, q.site());
                ps.setString(3, q.agentId());
                ps.setString(4, q.shortcut());
                ps.setString(5, q.text());
                ps.setString(6, q.imageKey());
                ps.setLong(7, q.createdAt());
                ps.setLong(8, q.updatedAt());
                return ps.executeUpdate();
            }
        });
    }

    public boolean deleteQuickReply(String id) {
        return db.writeNow(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM quick_replies WHERE id = ?")) {
                ps.setString(1, id);
                return ps.executeUpdate() == 1;
            }
        });
    }

    // ---- block list ----

    public void addBlock(BlockRecord b) {
        db.writeNow(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO blocks (" + BLOCK_COLUMNS + ") VALUES (?,?,?,?,?,?,?)")) {
                ps.setString(1, b.id());
                ps.setString(2, b.site());
                ps.setString(3, b.visitorId());
                ps.setString(4, b.ip());
                ps.setString(5, b.reason());
                ps.setString(6, b.byAgent());
                ps.setLong(7, b.createdAt());
                return ps.executeUpdate();
            }
        });
    }

    public boolean removeBlock(String id) {
        return db.writeNow(c -> {
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM blocks WHERE id = ?")) {
                ps.setString(1, id);
                return ps.executeUpdate() == 1;
            }
        });
    }

    public List<BlockRecord> blocks() {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + BLOCK_COLUMNS + " FROM blocks ORDER BY created_at")) {
                return blocks(ps);
            }
        });
    }

    /** The block that keeps this visitor (by id or address) off {@code site}, if any. */
    public Optional<BlockRecord> blockFor(String site, String visitorId, String ip) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + BLOCK_COLUMNS + " FROM blocks WHERE site = ? "
                    + "AND (visitor_id = ? OR ip = ?) LIMIT 1")) {
                ps.setString(1, site);
                ps.setString(2, visitorId);
                ps.setString(3, ip);
                List<BlockRecord> found = blocks(ps);
                return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
            }
        });
    }

    private static List<QuickReplyRecord> quickReplies(PreparedStatement ps) throws SQLException {
        List<QuickReplyRecord> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new QuickReplyRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getString(6), rs.getLong(7), rs.getLong(8)));
            }
        }
        return out;
    }

    private static List<BlockRecord> blocks(PreparedStatement ps) throws SQLException {
        List<BlockRecord> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new BlockRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getString(6), rs.getLong(7)));
            }
        }
        return out;
    }
}

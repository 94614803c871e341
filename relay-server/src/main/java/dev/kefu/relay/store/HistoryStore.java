package dev.kefu.relay.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Read-only questions over the whole history: full-text search and the rows statistics are built from. */
public final class HistoryStore {
    private static final Logger log = LoggerFactory.getLogger(HistoryStore.class);
    private static final long INDEX_WAIT_MS = 2_000;

    private final SqliteDatabase db;
    private final Supplier<CompletableFuture<?>> indexForSearch;

    /** {@code indexForSearch} brings the full-text index up to date (the store indexes a little behind its commits). */
    public HistoryStore(SqliteDatabase db, Supplier<CompletableFuture<?>> indexForSearch) {
        this.db = db;
        this.indexForSearch = indexForSearch;
    }

    /** One search hit: the message and who took part in its conversation. */
    public record Hit(StoredMessage message, String site, String visitorId, String agentId) {}

    /**
     * Messages whose body contains {@code text} (case-insensitive), newest first. Three characters
     * or more use the trigram index; shorter words (many Chinese words have two characters) scan.
     * Each filter may be null: visitor id, agent id (its conversations), time range (epoch ms).
     */
    public List<Hit> search(String text, String site, String visitorId, String agentId, Long fromMs, Long toMs, int limit) {
        boolean indexed = text.codePointCount(0, text.length()) >= 3;
        if (indexed) {
            try {
                indexForSearch.get().get(INDEX_WAIT_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // A busy store: search what is indexed (all but the last fraction of a second).
                log.debug("search without the newest messages: {}", e.toString());
            }
        }
        StringBuilder sql = new StringBuilder("SELECT m.conv, m.seq, m.cid, m.from_role, m.from_id, m.from_name, m.kind, "
                + "m.body, m.file, m.ts, m.recalled_at, c.site, c.visitor_id, c.agent_id FROM ");
        List<Object> args = new ArrayList<>();
        if (indexed) {
            sql.append("messages_fts f JOIN messages m ON m.conv = f.conv AND m.seq = f.seq "
                    + "JOIN conversations c ON c.id = m.conv WHERE messages_fts MATCH ? AND m.recalled_at IS NULL");
            args.add("\"" + text.replace("\"", "\"\"") + "\"");
        } else {
            sql.append("messages m JOIN conversations c ON c.id = m.conv WHERE m.recalled_at IS NULL "
                    + "AND instr(lower(m.body), lower(?)) > 0");
            args.add(text);
        }
        if (site != null) {
            sql.append(" AND c.site = ?");
            args.add(site);
        }
        if (visitorId != null) {
            sql.append(" AND c.visitor_id = ?");
            args.add(visitorId);
        }
        if (agentId != null) {
            sql.append(" AND c.agent_id = ?");
            args.add(agentId);
        }
        if (fromMs != null) {
            sql.append(" AND m.ts >= ?");
            args.add(fromMs);
        }
        if (toMs != null) {
            sql.append(" AND m.ts < ?");
            args.add(toMs);
        }
        sql.append(" ORDER BY m.ts DESC LIMIT ?");
        args.add(limit);
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                for (int i = 0; i < args.size(); i++) {
                    ps.setObject(i + 1, args.get(i));
                }
                List<Hit> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long recalled = rs.getLong(11);
                        StoredMessage m = new StoredMessage(rs.getString(1), rs.getLong(2), rs.getString(3),
                                rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8),
                                rs.getString(9), rs.getLong(10), rs.wasNull() ? null : recalled);
                        out.add(new Hit(m, rs.getString(12), rs.getString(13), rs.getString(14)));
                    }
                }
                return out;
            }
        });
    }

    /** A conversation's facts for statistics. Times are epoch ms, null when the event did not happen. */
    public record ConvFacts(String id, String site, String agentId, String status, long createdAt, Long acceptedAt,
                            Long firstResponseAt, Integer rating, int agentMessages, int visitorMessages) {}

    /** Every conversation created in [fromMs, toMs), with its message counts by role. */
    public List<ConvFacts> conversationsCreated(long fromMs, long toMs) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT c.id, c.site, c.agent_id, c.status, c.created_at, "
                    + "c.accepted_at, c.first_response_at, c.rating, "
                    + "(SELECT count(*) FROM messages m WHERE m.conv = c.id AND m.from_role = 'agent'), "
                    + "(SELECT count(*) FROM messages m WHERE m.conv = c.id AND m.from_role = 'visitor') "
                    + "FROM conversations c WHERE c.created_at >= ? AND c.created_at < ? ORDER BY c.created_at")) {
                ps.setLong(1, fromMs);
                ps.setLong(2, toMs);
                List<ConvFacts> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long accepted = rs.getLong(6);
                        boolean noAccept = rs.wasNull();
                        long first = rs.getLong(7);
                        boolean noFirst = rs.wasNull();
                        int rating = rs.getInt(8);
                        boolean noRating = rs.wasNull();
                        out.add(new ConvFacts(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                                rs.getLong(5), noAccept ? null : accepted, noFirst ? null : first,
                                noRating ? null : rating, rs.getInt(9), rs.getInt(10)));
                    }
                }
                return out;
            }
        });
    }
}

package dev.kefu.relay.store;

import dev.kefu.protocol.ConvStatus;
import dev.kefu.protocol.ErrorCode;
import io.micrometer.core.instrument.MeterRegistry;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * {@link MessageStore} on SQLite: every write runs on the {@link GroupCommitWriter} thread, so the
 * checks and the seq assignment inside one write see no concurrent change; reads use the reader
 * connections that WAL lets run beside it.
 */
public final class SqliteMessageStore implements MessageStore {
    private static final String CONV_COLUMNS =
            "id, site, visitor_id, agent_id, status, last_seq, created_at, updated_at, closed_at";
    private static final String MSG_COLUMNS =
            "conv, seq, cid, from_role, from_id, from_name, kind, body, file, ts";

    private final SqliteDatabase db;
    private final GroupCommitWriter writer;

    public SqliteMessageStore(SqliteDatabase db, int maxBatch, int maxQueued, MeterRegistry meters) {
        this.db = db;
        this.writer = new GroupCommitWriter(db.writer(), maxBatch, maxQueued, meters);
    }

    @Override
    public CompletableFuture<AppendResult> append(NewMessage m, Predicate<Conversation> mayUse) {
        return writer.submit(c -> {
            StoredMessage earlier = findBySenderCid(c, m.sender().key(), m.cid());
            if (earlier != null) {
                return new AppendResult(null, null, earlier, true, findConversation(c, earlier.conv()), false);
            }
            Conversation conv;
            boolean changed = false;
            if (m.conv() != null) {
                conv = findConversation(c, m.conv());
                if (conv == null || !mayUse.test(conv)) {
                    return AppendResult.refused(ErrorCode.UNKNOWN_CONV, "no conversation " + m.conv());
                }
                if (conv.isClosed()) {
                    return AppendResult.refused(ErrorCode.CONV_CLOSED, "conversation " + m.conv() + " is closed");
                }
            } else if (!m.sender().isAgent()) {
                conv = findLiveConversation(c, m.sender().site(), m.sender().id());
                if (conv == null) {
                    conv = insertConversation(c, m.sender().site(), m.sender().id(), null);
                    changed = true;
                }
            } else {
                return AppendResult.refused(ErrorCode.BAD_FRAME, "an agent's send names its conversation");
            }
            if (m.sender().isAgent() && ConvStatus.WAITING.equals(conv.status())) {
                conv = updateAssignment(c, conv, m.sender().id(), ConvStatus.OPEN);
                changed = true;
            }
            return appendTo(c, conv, changed, m);
        });
    }

    @Override
    public CompletableFuture<AppendResult> invite(Sender agent, String site, String visitorId, String cid, String body) {
        return writer.submit(c -> {
            StoredMessage earlier = findBySenderCid(c, agent.key(), cid);
            if (earlier != null) {
                return new AppendResult(null, null, earlier, true, findConversation(c, earlier.conv()), false);
            }
            Conversation conv = findLiveConversation(c, site, visitorId);
            boolean changed = false;
            if (conv == null) {
                conv = insertConversation(c, site, visitorId, agent.id());
                changed = true;
            } else if (ConvStatus.WAITING.equals(conv.status())) {
                conv = updateAssignment(c, conv, agent.id(), ConvStatus.OPEN);
                changed = true;
            }
            return appendTo(c, conv, changed, new NewMessage(agent, conv.id(), cid, "text", body, null));
        });
    }

    private AppendResult appendTo(Connection c, Conversation conv, boolean changed, NewMessage m) throws SQLException {
        long seq = conv.lastSeq() + 1;
        long now = System.currentTimeMillis();
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO messages (conv, seq, sender, cid, from_role, "
                + "from_id, from_name, kind, body, file, ts) VALUES (?,?,?,?,?,?,?,?,?,?,?)")) {
            ps.setString(1, conv.id());
            ps.setLong(2, seq);
            ps.setString(3, m.sender().key());
            ps.setString(4, m.cid());
            ps.setString(5, m.sender().role());
            ps.setString(6, m.sender().id());
            ps.setString(7, m.sender().name());
            ps.setString(8, m.kind());
            ps.setString(9, m.body());
            ps.setString(10, m.fileJson());
            ps.setLong(11, now);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE conversations SET last_seq = ?, updated_at = ? WHERE id = ? AND last_seq = ?")) {
            ps.setLong(1, seq);
            ps.setLong(2, now);
            ps.setString(3, conv.id());
            ps.setLong(4, conv.lastSeq());
            if (ps.executeUpdate() != 1) {
                throw new SQLException("conversation " + conv.id() + " moved under the writer");
            }
        }
        StoredMessage stored = new StoredMessage(conv.id(), seq, m.cid(), m.sender().role(), m.sender().id(),
                m.sender().name(), m.kind(), m.body(), m.fileJson(), now);
        Conversation after = new Conversation(conv.id(), conv.site(), conv.visitorId(), conv.agentId(),
                conv.status(), seq, conv.createdAt(), now, conv.closedAt());
        return new AppendResult(null, null, stored, false, after, changed);
    }

    @Override
    public CompletableFuture<ConvChange> accept(String convId, String agentId, Predicate<Conversation> mayUse) {
        return writer.submit(c -> {
            Conversation conv = findConversation(c, convId);
            if (conv == null || !mayUse.test(conv)) {
                return ConvChange.refused(ErrorCode.UNKNOWN_CONV, "no conversation " + convId);
            }
            if (conv.isClosed()) {
                return ConvChange.refused(ErrorCode.CONV_CLOSED, "conversation " + convId + " is closed");
            }
            if (agentId.equals(conv.agentId())) {
                return new ConvChange(null, null, conv, false);
            }
            if (conv.agentId() != null) {
                return ConvChange.refused(ErrorCode.NOT_ALLOWED, "conversation " + convId + " is taken by another agent");
            }
            return new ConvChange(null, null, updateAssignment(c, conv, agentId, ConvStatus.OPEN), true);
        });
    }

    @Override
    public CompletableFuture<ConvChange> transfer(String convId, String toAgentId, Predicate<Conversation> mayUse) {
        return writer.submit(c -> {
            Conversation conv = findConversation(c, convId);
            if (conv == null || !mayUse.test(conv)) {
                return ConvChange.refused(ErrorCode.UNKNOWN_CONV, "no conversation " + convId);
            }
            if (conv.isClosed()) {
                return ConvChange.refused(ErrorCode.CONV_CLOSED, "conversation " + convId + " is closed");
            }
            if (toAgentId.equals(conv.agentId())) {
                return new ConvChange(null, null, conv, false);
            }
            return new ConvChange(null, null, updateAssignment(c, conv, toAgentId, ConvStatus.OPEN), true);
        });
    }

    @Override
    public CompletableFuture<ConvChange> close(String convId, Predicate<Conversation> mayUse) {
        return writer.submit(c -> {
            Conversation conv = findConversation(c, convId);
            if (conv == null || !mayUse.test(conv)) {
                return ConvChange.refused(ErrorCode.UNKNOWN_CONV, "no conversation " + convId);
            }
            if (conv.isClosed()) {
                return new ConvChange(null, null, conv, false);
            }
            long now = System.currentTimeMillis();
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE conversations SET status = 'closed', closed_at = ?, updated_at = ? WHERE id = ?")) {
                ps.setLong(1, now);
                ps.setLong(2, now);
                ps.setString(3, convId);
                ps.executeUpdate();
            }
            return new ConvChange(null, null, new Conversation(conv.id(), conv.site(), conv.visitorId(),
                    conv.agentId(), ConvStatus.CLOSED, conv.lastSeq(), conv.createdAt(), now, now), true);
        });
    }

    @Override
    public CompletableFuture<Boolean> markRead(String conv, String readerKey, long seq) {
        return writer.submit(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO reads (conv, reader, seq, ts) VALUES (?,?,?,?) "
                    + "ON CONFLICT (conv, reader) DO UPDATE SET seq = excluded.seq, ts = excluded.ts "
                    + "WHERE excluded.seq > reads.seq")) {
                ps.setString(1, conv);
                ps.setString(2, readerKey);
                ps.setLong(3, seq);
                ps.setLong(4, System.currentTimeMillis());
                return ps.executeUpdate() > 0;
            }
        });
    }

    @Override
    public CompletableFuture<Void> saveVisitor(VisitorRecord v) {
        return writer.submit(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO visitors (site, id, name, email, attrs, "
                    + "user_id, first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (site, id) DO UPDATE SET "
                    + "name = coalesce(excluded.name, visitors.name), email = coalesce(excluded.email, visitors.email), "
                    + "attrs = coalesce(excluded.attrs, visitors.attrs), user_id = coalesce(excluded.user_id, "
                    + "visitors.user_id), last_seen = excluded.last_seen")) {
                ps.setString(1, v.site());
                ps.setString(2, v.id());
                ps.setString(3, v.name());
                ps.setString(4, v.email());
                ps.setString(5, v.attrsJson());
                ps.setString(6, v.userId());
                ps.setLong(7, v.seenAt());
                ps.setLong(8, v.seenAt());
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public Optional<Conversation> conversation(String id) {
        return Optional.ofNullable(db.read(c -> findConversation(c, id)));
    }

    @Override
    public List<Conversation> liveConversations() {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + CONV_COLUMNS
                    + " FROM conversations WHERE status <> 'closed' ORDER BY created_at, id")) {
                return conversations(ps);
            }
        });
    }

    @Override
    public List<Conversation> visitorConversations(String site, String visitorId) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + CONV_COLUMNS + " FROM conversations "
                    + "WHERE site = ? AND visitor_id = ? AND (status <> 'closed' OR id = (SELECT id FROM conversations "
                    + "WHERE site = ? AND visitor_id = ? AND status = 'closed' ORDER BY closed_at DESC LIMIT 1)) "
                    + "ORDER BY created_at, id")) {
                ps.setString(1, site);
                ps.setString(2, visitorId);
                ps.setString(3, site);
                ps.setString(4, visitorId);
                return conversations(ps);
            }
        });
    }

    @Override
    public List<StoredMessage> messagesAfter(String conv, long afterSeq, int limit) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + MSG_COLUMNS
                    + " FROM messages WHERE conv = ? AND seq > ? ORDER BY seq LIMIT ?")) {
                ps.setString(1, conv);
                ps.setLong(2, afterSeq);
                ps.setInt(3, limit);
                return messages(ps);
            }
        });
    }

    @Override
    public List<StoredMessage> messagesBefore(String conv, long beforeSeq, int limit) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT * FROM (SELECT " + MSG_COLUMNS
                    + " FROM messages WHERE conv = ? AND seq < ? ORDER BY seq DESC LIMIT ?) ORDER BY seq")) {
                ps.setString(1, conv);
                ps.setLong(2, beforeSeq);
                ps.setInt(3, limit);
                return messages(ps);
            }
        });
    }

    @Override
    public boolean isHealthy() {
        if (!writer.isAlive()) {
            return false;
        }
        try {
            return db.read(c -> {
                try (var s = c.createStatement(); var rs = s.executeQuery("SELECT 1")) {
                    return rs.next();
                }
            });
        } catch (StoreException e) {
            return false;
        }
    }

    @Override
    public void close() {
        writer.close();
        db.close();
    }

    // ---- helpers, all on the caller's connection --------------------------------------------

    private static StoredMessage findBySenderCid(Connection c, String senderKey, String cid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + MSG_COLUMNS
                + " FROM messages WHERE sender = ? AND cid = ?")) {
            ps.setString(1, senderKey);
            ps.setString(2, cid);
            List<StoredMessage> found = messages(ps);
            return found.isEmpty() ? null : found.get(0);
        }
    }

    private static Conversation findConversation(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + CONV_COLUMNS + " FROM conversations WHERE id = ?")) {
            ps.setString(1, id);
            List<Conversation> found = conversations(ps);
            return found.isEmpty() ? null : found.get(0);
        }
    }

    private static Conversation findLiveConversation(Connection c, String site, String visitorId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + CONV_COLUMNS + " FROM conversations "
                + "WHERE site = ? AND visitor_id = ? AND status <> 'closed' ORDER BY created_at DESC LIMIT 1")) {
            ps.setString(1, site);
            ps.setString(2, visitorId);
            List<Conversation> found = conversations(ps);
            return found.isEmpty() ? null : found.get(0);
        }
    }

    private static Conversation insertConversation(Connection c, String site, String visitorId, String agentId)
            throws SQLException {
        long now = System.currentTimeMillis();
        String status = agentId == null ? ConvStatus.WAITING : ConvStatus.OPEN;
        Conversation conv = new Conversation(Ids.newId("c"), site, visitorId, agentId, status, 0, now, now, null);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO conversations (id, site, visitor_id, agent_id, "
                + "status, last_seq, created_at, updated_at) VALUES (?,?,?,?,?,0,?,?)")) {
            ps.setString(1, conv.id());
            ps.setString(2, site);
            ps.setString(3, visitorId);
            ps.setString(4, agentId);
            ps.setString(5, status);
            ps.setLong(6, now);
            ps.setLong(7, now);
            ps.executeUpdate();
        }
        return conv;
    }

    private static Conversation updateAssignment(Connection c, Conversation conv, String agentId, String status)
            throws SQLException {
        long now = System.currentTimeMillis();
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE conversations SET agent_id = ?, status = ?, updated_at = ? WHERE id = ?")) {
            ps.setString(1, agentId);
            ps.setString(2, status);
            ps.setLong(3, now);
            ps.setString(4, conv.id());
            ps.executeUpdate();
        }
        return new Conversation(conv.id(), conv.site(), conv.visitorId(), agentId, status, conv.lastSeq(),
                conv.createdAt(), now, conv.closedAt());
    }

    private static List<Conversation> conversations(PreparedStatement ps) throws SQLException {
        List<Conversation> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                long closedAt = rs.getLong(9);
                out.add(new Conversation(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.wasNull() ? null : closedAt));
            }
        }
        return out;
    }

    private static List<StoredMessage> messages(PreparedStatement ps) throws SQLException {
        List<StoredMessage> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new StoredMessage(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9),
                        rs.getLong(10)));
            }
        }
        return out;
    }
}

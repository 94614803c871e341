package dev.kefu.relay.store;

import dev.kefu.protocol.ConvStatus;
import dev.kefu.protocol.ErrorCode;
import dev.kefu.protocol.Role;
import io.micrometer.core.instrument.MeterRegistry;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.function.Predicate;

/**
 * {@link MessageStore} on SQLite: every write runs on the {@link GroupCommitWriter} thread, so the
 * checks and the seq assignment inside one write see no concurrent change; reads use the reader
 * connections that WAL lets run beside it.
 */
public final class SqliteMessageStore implements MessageStore {
    private static final String CONV_COLUMNS = "id, site, visitor_id, agent_id, status, last_seq, created_at, "
            + "updated_at, closed_at, accepted_at, first_response_at, contact, rating, rating_comment";
    private static final String MSG_COLUMNS =
            "conv, seq, cid, from_role, from_id, from_name, kind, body, file, ts, recalled_at";
    private static final String NOTE_COLUMNS = "conv, nseq, cid, author_id, author, body, after_seq, ts";

    /** Most conversations the writer keeps in memory (about 300 bytes each). */
    static final int WRITER_CACHE_SIZE = 50_000;
    /** SQLite's primary result code for a violated constraint (the low byte of an extended code). */
    private static final int SQLITE_CONSTRAINT = 19;

    private final SqliteDatabase db;
    private final GroupCommitWriter writer;
    // Conversations as the writer last committed them, so an append need not read its conversation
    // back (that lookup was a third of the writer's time per message). Every change to a conversation
    // runs on the writer thread, here, so the copies cannot go stale; a rollback empties them.
    // Writer thread only.
    private final Map<String, Conversation> convsOnWriter = lru(WRITER_CACHE_SIZE);
    private final SearchIndexer indexer;
    private final Map<String, String> liveConvOfVisitor = lru(WRITER_CACHE_SIZE);

    public SqliteMessageStore(SqliteDatabase db, int maxBatch, int maxQueued, MeterRegistry meters) {
        this(db, maxBatch, maxQueued, meters, SearchIndexer.PERIOD_MS);
    }

    /** {@code indexEveryMs} 0: the search index is brought up to date only before a search (tests). */
    SqliteMessageStore(SqliteDatabase db, int maxBatch, int maxQueued, MeterRegistry meters, long indexEveryMs) {
        this.db = db;
        this.writer = db.startWriter(maxBatch, maxQueued, meters);
        this.indexer = new SearchIndexer(writer, indexEveryMs);
        writer.onRollback(() -> {
            convsOnWriter.clear();
            liveConvOfVisitor.clear();
        });
    }

    private static <K, V> Map<K, V> lru(int max) {
        return new java.util.LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > max;
            }
        };
    }

    /** The conversation, from the writer's copies or the database (writer thread only). */
    private Conversation conversationOnWriter(Connection c, String id) throws SQLException {
        Conversation known = convsOnWriter.get(id);
        if (known != null) {
            return known;
        }
        Conversation read = findConversation(c, id);
        return read == null ? null : remember(read);
    }

    /** The visitor's waiting or open conversation, or null (writer thread only). */
    private Conversation liveConversationOnWriter(Connection c, String site, String visitorId) throws SQLException {
        String id = liveConvOfVisitor.get(visitorKey(site, visitorId));
        Conversation known = id == null ? null : convsOnWriter.get(id);
        if (known != null && known.isLive()) {
            return known;
        }
        Conversation read = findLiveConversation(c, site, visitorId);
        return read == null ? null : remember(read);
    }

    /** Keeps {@code conv} as just written (writer thread only); returns it. */
    private Conversation remember(Conversation conv) {
        convsOnWriter.put(conv.id(), conv);
        String visitor = visitorKey(conv.site(), conv.visitorId());
        if (conv.isLive()) {
            liveConvOfVisitor.put(visitor, conv.id());
        } else {
            liveConvOfVisitor.remove(visitor, conv.id());
        }
        return conv;
    }

    private static String visitorKey(String site, String visitorId) {
        return site + '\u0000' + visitorId;
    }

    /**
     * Stores {@code m} once per sender and cid. A resend (same sender, same cid) is answered with the
     * message stored the first time, wherever it went. The common case, a new message in an existing
     * conversation, is inserted straight away and the unique (sender, cid) index catches a resend: no
     * lookup first. Only when the message would change something before its insert (open a
     * conversation, assign it) or be refused is the cid looked up first.
     */
    @Override
    public CompletableFuture<AppendResult> append(NewMessage m, Predicate<Conversation> mayUse) {
        return writer.submit(c -> {
            Conversation conv;
            boolean created = false;
            if (m.conv() != null) {
                conv = conversationOnWriter(c, m.conv());
                if (conv == null || !mayUse.test(conv)) {
                    return duplicateOr(c, m.sender(), m.cid(),
                            AppendResult.refused(ErrorCode.UNKNOWN_CONV, "no conversation " + m.conv()));
                }
                if (conv.isClosed()) {
                    return duplicateOr(c, m.sender(), m.cid(),
                            AppendResult.refused(ErrorCode.CONV_CLOSED, "conversation " + m.conv() + " is closed"));
                }
            } else if (!m.sender().isAgent()) {
                conv = liveConversationOnWriter(c, m.sender().site(), m.sender().id());
                if (conv == null) {
                    AppendResult earlier = duplicateOr(c, m.sender(), m.cid(), null);
                    if (earlier != null) {
                        return earlier;
                    }
                    if (movedToAnother(c, m.sender().site(), m.sender().id())) {
                        // An anonymous connection of a browser that signed in meanwhile: its chats went
                        // to the user's visitor, and it is being closed. A new one must not start here.
                        return AppendResult.refused(ErrorCode.IDENTITY_REQUIRED,
                                "this visitor id now belongs to a signed-in user; connect with a new id");
                    }
                    conv = insertConversation(c, m.sender().site(), m.sender().id(), null, m.newConversationStatus());
                    created = true;
                }
            } else {
                return duplicateOr(c, m.sender(), m.cid(),
                        AppendResult.refused(ErrorCode.BAD_FRAME, "an agent's send names its conversation"));
            }
            boolean changed = created;
            if (m.sender().isAgent() && conv.isUnassigned()) {
                AppendResult earlier = duplicateOr(c, m.sender(), m.cid(), null);
                if (earlier != null) {
                    return earlier;
                }
                conv = updateStatus(c, conv, ConvStatus.OPEN, m.sender().id());
                changed = true;
            }
            StoredMessage stored = insertUnlessResent(c, conv, m);
            if (stored == null) {
                return duplicateOr(c, m.sender(), m.cid(), null);
            }
            conv = afterAppend(c, conv, stored);
            List<StoredMessage> followUps = List.of();
            if (created && m.welcome() != null && !m.welcome().isBlank()) {
                Sender system = new Sender(Role.SYSTEM, "welcome", null, conv.site());
                StoredMessage welcome = insertMessage(c, conv, system, "welcome-" + conv.id(), "text", m.welcome(), null);
                conv = afterAppend(c, conv, welcome);
                followUps = List.of(welcome);
            }
            return new AppendResult(null, null, stored, false, conv, changed, followUps);
        });
    }

    /** The message {@code sender} stored earlier under {@code cid}, as a duplicate; else {@code otherwise}. */
    private AppendResult duplicateOr(Connection c, Sender sender, String cid, AppendResult otherwise) throws SQLException {
        StoredMessage earlier = findBySenderCid(c, sender.key(), cid);
        return earlier == null ? otherwise : AppendResult.duplicate(earlier, conversationOnWriter(c, earlier.conv()));
    }

    /**
     * Inserts {@code m}, or returns null when its sender already stored that cid. SQLite aborts only
     * the failing statement: the batch's transaction, and every other write in it, go on.
     */
    private StoredMessage insertUnlessResent(Connection c, Conversation conv, NewMessage m) throws SQLException {
        try {
            return insertMessage(c, conv, m.sender(), m.cid(), m.kind(), m.body(), m.fileJson());
        } catch (SQLException e) {
            if ((e.getErrorCode() & 0xff) == SQLITE_CONSTRAINT && findBySenderCid(c, m.sender().key(), m.cid()) != null) {
                return null;
            }
            throw e;
        }
    }

    @Override
    public CompletableFuture<AppendResult> invite(Sender agent, String site, String visitorId, String cid, String body) {
        return writer.submit(c -> {
            StoredMessage earlier = findBySenderCid(c, agent.key(), cid);
            if (earlier != null) {
                return AppendResult.duplicate(earlier, conversationOnWriter(c, earlier.conv()));
            }
            Conversation conv = liveConversationOnWriter(c, site, visitorId);
            boolean changed = false;
            if (conv == null) {
                conv = insertConversation(c, site, visitorId, agent.id(), ConvStatus.OPEN);
                changed = true;
            } else if (conv.isUnassigned()) {
                conv = updateStatus(c, conv, ConvStatus.OPEN, agent.id());
                changed = true;
            }
            StoredMessage stored = insertMessage(c, conv, agent, cid, "text", body, null);
            return new AppendResult(null, null, stored, false, afterAppend(c, conv, stored), changed, List.of());
        });
    }

    @Override
    public CompletableFuture<NoteResult> addNote(Sender agent, String convId, String cid, String body,
                                                 Predicate<Conversation> mayUse) {
        return writer.submit(c -> {
            StoredNote earlier = findNoteBySenderCid(c, agent.key(), cid);
            if (earlier != null) {
                return new NoteResult(null, null, earlier, true, conversationOnWriter(c, earlier.conv()));
            }
            Conversation conv = convId == null ? null : conversationOnWriter(c, convId);
            if (conv == null || !mayUse.test(conv)) {
                return NoteResult.refused(ErrorCode.UNKNOWN_CONV, "no conversation " + convId);
            }
            long nseq;
            try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(nseq), 0) + 1 FROM notes WHERE conv = ?")) {
                ps.setString(1, conv.id());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    nseq = rs.getLong(1);
                }
            }
            StoredNote note = new StoredNote(conv.id(), nseq, cid, agent.id(), agent.name(), body, conv.lastSeq(),
                    System.currentTimeMillis());
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO notes (conv, nseq, sender, cid, author_id, author, "
                    + "body, after_seq, ts) VALUES (?,?,?,?,?,?,?,?,?)")) {
                ps.setString(1, note.conv());
                ps.setLong(2, nseq);
                ps.setString(3, agent.key());
                ps.setString(4, cid);
                ps.setString(5, agent.id());
                ps.setString(6, agent.name());
                ps.setString(7, body);
                ps.setLong(8, note.afterSeq());
                ps.setLong(9, note.ts());
                ps.executeUpdate();
            }
            return new NoteResult(null, null, note, false, conv);
        });
    }

    private StoredMessage insertMessage(Connection c, Conversation conv, Sender sender, String cid, String kind,
                                        String body, String fileJson) throws SQLException {
        long seq = conv.lastSeq() + 1;
        long now = System.currentTimeMillis();
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO messages (conv, seq, sender, cid, from_role, "
                + "from_id, from_name, kind, body, file, ts) VALUES (?,?,?,?,?,?,?,?,?,?,?)")) {
            ps.setString(1, conv.id());
            ps.setLong(2, seq);
            ps.setString(3, sender.key());
            ps.setString(4, cid);
            ps.setString(5, sender.role());
            ps.setString(6, sender.id());
            ps.setString(7, sender.name());
            ps.setString(8, kind);
            ps.setString(9, body);
            ps.setString(10, fileJson);
            ps.setLong(11, now);
            ps.executeUpdate();
        }
        if (body != null) {
            indexer.list(c, conv.id(), seq);
        }
        return new StoredMessage(conv.id(), seq, cid, sender.role(), sender.id(), sender.name(), kind, body, fileJson, now);
    }

    /** Moves the conversation's last seq (and first response time) past {@code m}. */
    private Conversation afterAppend(Connection c, Conversation conv, StoredMessage m) throws SQLException {
        Long firstResponse = conv.firstResponseAt();
        if (firstResponse == null && Role.AGENT.equals(m.fromRole())) {
            firstResponse = m.ts();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE conversations SET last_seq = ?, updated_at = ?, "
                + "first_response_at = ? WHERE id = ? AND last_seq = ?")) {
            ps.setLong(1, m.seq());
            ps.setLong(2, m.ts());
            setNullableLong(ps, 3, firstResponse);
            ps.setString(4, conv.id());
            ps.setLong(5, conv.lastSeq());
            if (ps.executeUpdate() != 1) {
                throw new SQLException("conversation " + conv.id() + " moved under the writer");
            }
        }
        return remember(conv.withLastSeq(m.seq(), m.ts(), firstResponse));
    }

    @Override
    public CompletableFuture<ConvChange> accept(String convId, String agentId, Predicate<Conversation> mayUse) {
        return change(convId, mayUse, true, (c, conv) -> {
            if (agentId.equals(conv.agentId())) {
                return new ConvChange(null, null, conv, false);
            }
            if (conv.agentId() != null) {
                return ConvChange.refused(ErrorCode.NOT_ALLOWED, "conversation " + convId + " is taken by another agent");
            }
            return new ConvChange(null, null, updateStatus(c, conv, ConvStatus.OPEN, agentId), true);
        });
    }

    @Override
    public CompletableFuture<ConvChange> transfer(String convId, String toAgentId, Predicate<Conversation> mayUse) {
        return change(convId, mayUse, true, (c, conv) -> toAgentId.equals(conv.agentId())
                ? new ConvChange(null, null, conv, false)
                : new ConvChange(null, null, updateStatus(c, conv, ConvStatus.OPEN, toAgentId), true));
    }

    @Override
    public CompletableFuture<ConvChange> close(String convId, Predicate<Conversation> mayUse) {
        return change(convId, mayUse, false, (c, conv) -> conv.isClosed()
                ? new ConvChange(null, null, conv, false)
                : new ConvChange(null, null, updateStatus(c, conv, ConvStatus.CLOSED, conv.agentId()), true));
    }

    @Override
    public CompletableFuture<ConvChange> setContact(String convId, String contactJson, Predicate<Conversation> mayUse) {
        return change(convId, mayUse, false, (c, conv) -> {
            long now = System.currentTimeMillis();
            try (PreparedStatement ps = c.prepareStatement("UPDATE conversations SET contact = ?, updated_at = ? WHERE id = ?")) {
                ps.setString(1, contactJson);
                ps.setLong(2, now);
                ps.setString(3, convId);
                ps.executeUpdate();
            }
            return new ConvChange(null, null, conv.withContact(contactJson, now), true);
        });
    }

    @Override
    public CompletableFuture<ConvChange> rate(String convId, int score, String comment, Predicate<Conversation> mayUse) {
        return change(convId, mayUse, false, (c, conv) -> {
            if (!conv.isClosed()) {
                return ConvChange.refused(ErrorCode.NOT_ALLOWED, "a conversation is rated once it is closed");
            }
            if (conv.rating() != null) {
                return ConvChange.refused(ErrorCode.NOT_ALLOWED, "this conversation was rated already");
            }
            long now = System.currentTimeMillis();
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE conversations SET rating = ?, rating_comment = ?, rated_at = ? WHERE id = ?")) {
                ps.setInt(1, score);
                ps.setString(2, comment);
                ps.setLong(3, now);
                ps.setString(4, convId);
                ps.executeUpdate();
            }
            return new ConvChange(null, null, conv.withRating(score, comment, now), true);
        });
    }

    @Override
    public CompletableFuture<RecallResult> recall(String convId, long seq, String senderKey, long windowMs,
                                                  Predicate<Conversation> mayUse) {
        return writer.submit(c -> {
            Conversation conv = conversationOnWriter(c, convId);
            if (conv == null || !mayUse.test(conv)) {
                return RecallResult.refused(ErrorCode.UNKNOWN_CONV, "no conversation " + convId);
            }
            String sender;
            StoredMessage m;
            try (PreparedStatement ps = c.prepareStatement("SELECT sender, " + MSG_COLUMNS
                    + " FROM messages WHERE conv = ? AND seq = ?")) {
                ps.setString(1, convId);
                ps.setLong(2, seq);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return RecallResult.refused(ErrorCode.BAD_FRAME, "no message " + seq + " in " + convId);
                    }
                    sender = rs.getString(1);
                    m = message(rs, 2);
                }
            }
            if (!sender.equals(senderKey)) {
                return RecallResult.refused(ErrorCode.NOT_ALLOWED, "only its sender may recall a message");
            }
            if (m.isRecalled()) {
                return new RecallResult(null, null, m, conv, false);
            }
            long now = System.currentTimeMillis();
            if (now - m.ts() > windowMs) {
                return RecallResult.refused(ErrorCode.NOT_ALLOWED,
                        "a message can be recalled within " + windowMs / 1000 + " s of sending");
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE messages SET recalled_at = ? WHERE conv = ? AND seq = ?")) {
                ps.setLong(1, now);
                ps.setString(2, convId);
                ps.setLong(3, seq);
                ps.executeUpdate();
            }
            return new RecallResult(null, null, new StoredMessage(m.conv(), m.seq(), m.cid(), m.fromRole(), m.fromId(),
                    m.fromName(), m.kind(), m.body(), m.fileJson(), m.ts(), now), conv, true);
        });
    }

    /** Runs {@code op} on a visible conversation; closed ones are refused unless {@code liveOnly} is false. */
    private CompletableFuture<ConvChange> change(String convId, Predicate<Conversation> mayUse, boolean liveOnly,
                                                 ChangeOp op) {
        return writer.submit(c -> {
            Conversation conv = convId == null ? null : conversationOnWriter(c, convId);
            if (conv == null || !mayUse.test(conv)) {
                return ConvChange.refused(ErrorCode.UNKNOWN_CONV, "no conversation " + convId);
            }
            if (liveOnly && conv.isClosed()) {
                return ConvChange.refused(ErrorCode.CONV_CLOSED, "conversation " + convId + " is closed");
            }
            ConvChange done = op.apply(c, conv);
            if (!done.isRefused() && done.conversation() != null) {
                remember(done.conversation());
            }
            return done;
        });
    }

    @FunctionalInterface
    private interface ChangeOp {
        ConvChange apply(Connection c, Conversation conv) throws SQLException;
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
                    + "attrs = coalesce(excluded.attrs, visitors.attrs), user_id = coalesce(visitors.user_id, "
                    + "excluded.user_id), last_seen = excluded.last_seen")) {
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
    public Optional<String> userOf(String site, String visitorId) {
        return Optional.ofNullable(db.read(c -> userOf(c, site, visitorId)));
    }

    @Override
    public Optional<String> visitorOf(String site, String userId) {
        return Optional.ofNullable(db.read(c -> visitorOf(c, site, userId)));
    }

    @Override
    public CompletableFuture<SignIn> signIn(String site, String presentedId, String userId) {
        return writer.submit(c -> {
            long now = System.currentTimeMillis();
            String canonical = visitorOf(c, site, userId);
            boolean presentedFree = userOf(c, site, presentedId) == null;
            if (canonical == null) {
                // A new user: the browser's own id, unless another user signed in with it first.
                canonical = presentedFree ? presentedId : "v-" + Ids.random(22);
                bindVisitor(c, site, canonical, userId, now);
                return new SignIn(canonical, canonical.equals(presentedId));
            }
            if (presentedFree && !canonical.equals(presentedId)) {
                bindVisitor(c, site, presentedId, userId, now);
                keepAfter(c, site, presentedId, canonical);
                return new SignIn(canonical, true, moveConversations(c, site, presentedId, canonical));
            }
            return new SignIn(canonical, false);
        });
    }

    /**
     * Makes {@code later} sort after {@code canonical} among the user's visitors, so that binding an
     * id first seen (anonymously) before the user's first sign-in does not make it the user's
     * visitor in place of the one every device already uses. {@code first_seen} of a bound id later
     * than the canonical one then means: first seen as this user.
     */
    private static void keepAfter(Connection c, String site, String later, String canonical) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE visitors SET first_seen = (SELECT first_seen + 1 "
                + "FROM visitors WHERE site = ?1 AND id = ?3) WHERE site = ?1 AND id = ?2 "
                + "AND first_seen <= (SELECT first_seen FROM visitors WHERE site = ?1 AND id = ?3)")) {
            ps.setString(1, site);
            ps.setString(2, later);
            ps.setString(3, canonical);
            ps.executeUpdate();
        }
    }

    /**
     * Moves every conversation of {@code from} to {@code to} (an anonymous browser's chats into the
     * user who just signed in on it), with what ties a visitor to them: its messages' sender, under
     * which a resent {@code cid} is found, and its read marks. Writer thread; the caller's write
     * binds {@code from} in the same transaction, so both happen or neither.
     */
    private List<Conversation> moveConversations(Connection c, String site, String from, String to) throws SQLException {
        List<Conversation> moved = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + CONV_COLUMNS + " FROM conversations "
                + "WHERE site = ? AND visitor_id = ? ORDER BY created_at, id")) {
            ps.setString(1, site);
            ps.setString(2, from);
            for (Conversation conv : conversations(ps)) {
                moved.add(conv.withVisitor(to));
            }
        }
        if (moved.isEmpty()) {
            return moved;
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE conversations SET visitor_id = ? "
                + "WHERE site = ? AND visitor_id = ?")) {
            ps.setString(1, to);
            ps.setString(2, site);
            ps.setString(3, from);
            ps.executeUpdate();
        }
        String fromKey = new Sender(Role.VISITOR, from, null, site).key();
        String toKey = new Sender(Role.VISITOR, to, null, site).key();
        // OR IGNORE: a cid the user's visitor used too (random cids: practically never) stays under the
        // browser's id rather than failing the sign-in.
        try (PreparedStatement ps = c.prepareStatement("UPDATE OR IGNORE messages SET sender = ? WHERE sender = ?")) {
            ps.setString(1, toKey);
            ps.setString(2, fromKey);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE OR IGNORE reads SET reader = ? WHERE conv = ? AND reader = ?")) {
            for (Conversation conv : moved) {
                ps.setString(1, toKey);
                ps.setString(2, conv.id());
                ps.setString(3, fromKey);
                ps.addBatch();
            }
            ps.executeBatch();
        }
        for (Conversation conv : moved) {
            remember(conv);
        }
        // Which live conversation a send without conv goes to is read again: the newest (see
        // findLiveConversation), when the user now has one from each device.
        liveConvOfVisitor.remove(visitorKey(site, from));
        liveConvOfVisitor.remove(visitorKey(site, to));
        return moved;
    }

    /**
     * Whether {@code visitorId} is bound to a user whose visitor is another id: only a connection
     * that was anonymous when the id was bound still acts as it (a signed-in one acts as the user's
     * visitor). Read when a visitor's message would open a conversation, not on every message.
     */
    private static boolean movedToAnother(Connection c, String site, String visitorId) throws SQLException {
        String user = userOf(c, site, visitorId);
        return user != null && !visitorId.equals(visitorOf(c, site, user));
    }

    /** Binds a visitor id bound to nobody to {@code userId} (a new row if the id was never seen). */
    private static void bindVisitor(Connection c, String site, String id, String userId, long now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO visitors (site, id, user_id, first_seen, last_seen) "
                + "VALUES (?,?,?,?,?) ON CONFLICT (site, id) DO UPDATE SET user_id = excluded.user_id "
                + "WHERE visitors.user_id IS NULL")) {
            ps.setString(1, site);
            ps.setString(2, id);
            ps.setString(3, userId);
            ps.setLong(4, now);
            ps.setLong(5, now);
            ps.executeUpdate();
        }
    }

    private static String userOf(Connection c, String site, String visitorId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT user_id FROM visitors WHERE site = ? AND id = ?")) {
            ps.setString(1, site);
            ps.setString(2, visitorId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static String visitorOf(Connection c, String site, String userId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM visitors WHERE site = ? AND user_id = ? "
                + "ORDER BY first_seen, id LIMIT 1")) {
            ps.setString(1, site);
            ps.setString(2, userId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    // ---- reads ----

    @Override
    public Optional<Conversation> conversation(String id) {
        return Optional.ofNullable(db.read(c -> findConversation(c, id)));
    }

    @Override
    public List<Conversation> liveConversations() {
        return queryConversations("SELECT " + CONV_COLUMNS + " FROM conversations WHERE status <> 'closed' "
                + "ORDER BY created_at, id");
    }

    @Override
    public List<Conversation> visitorConversations(String site, String visitorId) {
        return queryConversations("SELECT " + CONV_COLUMNS + " FROM conversations "
                + "WHERE site = ? AND visitor_id = ? AND (status <> 'closed' OR id = (SELECT id FROM conversations "
                + "WHERE site = ? AND visitor_id = ? AND status = 'closed' ORDER BY closed_at DESC LIMIT 1)) "
                + "ORDER BY created_at, id", site, visitorId, site, visitorId);
    }

    @Override
    public List<Conversation> visitorHistory(String site, String visitorId, Conversation before, int limit) {
        if (before == null) {
            return queryConversations("SELECT " + CONV_COLUMNS + " FROM conversations WHERE site = ? AND visitor_id = ? "
                    + "ORDER BY created_at DESC, id DESC LIMIT ?", site, visitorId, limit);
        }
        return queryConversations("SELECT " + CONV_COLUMNS + " FROM conversations WHERE site = ? AND visitor_id = ? "
                + "AND (created_at < ? OR (created_at = ? AND id < ?)) ORDER BY created_at DESC, id DESC LIMIT ?",
                site, visitorId, before.createdAt(), before.createdAt(), before.id(), limit);
    }

    @Override
    public List<ClosedConversation> closedOrRatedSince(long sinceMs, java.util.Collection<String> sites, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + CONV_COLUMNS + ", max(coalesce(closed_at, 0), "
                + "coalesce(rated_at, 0)) AS changed_at FROM conversations "
                + "WHERE status = 'closed' AND (closed_at >= ? OR rated_at >= ?)");
        List<Object> args = new ArrayList<>(List.of(sinceMs, sinceMs));
        if (sites != null) {
            if (sites.isEmpty()) {
                return List.of();
            }
            sql.append(" AND site IN (").append(String.join(",", java.util.Collections.nCopies(sites.size(), "?")))
                    .append(")");
            args.addAll(sites);
        }
        sql.append(" ORDER BY changed_at, id LIMIT ?");
        args.add(limit);
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                for (int i = 0; i < args.size(); i++) {
                    ps.setObject(i + 1, args.get(i));
                }
                List<ClosedConversation> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new ClosedConversation(conversation(rs), rs.getLong(15)));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public List<Conversation> waiting(String site) {
        return queryConversations("SELECT " + CONV_COLUMNS + " FROM conversations WHERE site = ? AND status = 'waiting' "
                + "ORDER BY created_at, id", site);
    }

    @Override
    public Map<String, Integer> openCounts() {
        return db.read(c -> {
            Map<String, Integer> out = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT agent_id, count(*) FROM conversations "
                    + "WHERE status = 'open' AND agent_id IS NOT NULL GROUP BY agent_id");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getInt(2));
                }
            }
            return out;
        });
    }

    @Override
    public long meanHandleMs(String site, int n) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT avg(closed_at - accepted_at) FROM (SELECT accepted_at, "
                    + "closed_at FROM conversations WHERE site = ? AND accepted_at IS NOT NULL AND closed_at IS NOT NULL "
                    + "ORDER BY closed_at DESC LIMIT ?)")) {
                ps.setString(1, site);
                ps.setInt(2, n);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? (long) rs.getDouble(1) : 0L;
                }
            }
        });
    }

    @Override
    public List<Conversation> idleSince(String site, long cutoffMs) {
        return queryConversations("SELECT " + CONV_COLUMNS + " FROM conversations WHERE site = ? "
                + "AND status IN ('waiting', 'open') AND updated_at < ? ORDER BY updated_at", site, cutoffMs);
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
    public List<StoredNote> notes(String conv) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + NOTE_COLUMNS + " FROM notes WHERE conv = ? ORDER BY nseq")) {
                ps.setString(1, conv);
                return notes(ps);
            }
        });
    }

    @Override
    public Map<String, List<StoredNote>> notesOfLiveConversations() {
        return db.read(c -> {
            String sql = "SELECT n.conv, n.nseq, n.cid, n.author_id, n.author, n.body, n.after_seq, n.ts FROM conversations c "
                    + "JOIN notes n ON n.conv = c.id WHERE c.status <> 'closed' ORDER BY n.conv, n.nseq";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                Map<String, List<StoredNote>> out = new HashMap<>();
                for (StoredNote n : notes(ps)) {
                    out.computeIfAbsent(n.conv(), k -> new ArrayList<>()).add(n);
                }
                return out;
            }
        });
    }

    @Override
    public boolean isBacklogged() {
        return writer.isBacklogged();
    }

    @Override
    public boolean isBacklogCleared() {
        return writer.isBacklogCleared();
    }

    /** For tests: see {@link GroupCommitWriter#stallUntil}. */
    public void stallWritesUntil(Future<?> release) throws InterruptedException {
        writer.stallUntil(release);
    }

    @Override
    public void onBatch(Runnable listener) {
        writer.onBatch(listener);
    }

    /**
     * Brings the full-text index up to every message stored so far; completes when that is
     * committed (at once if it already is). Searches call it first, so they find what was acked.
     */
    public CompletableFuture<Integer> indexForSearch() {
        return indexer.indexNow();
    }

    @Override
    public void afterDispatch(Runnable listener) {
        writer.afterDispatch(listener);
    }

    @Override
    public boolean onDispatchThread() {
        return writer.onDispatchThread();
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
        indexer.close();
        db.close();
    }

    // ---- helpers, all on the caller's connection --------------------------------------------

    private List<Conversation> queryConversations(String sql, Object... args) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) {
                    ps.setObject(i + 1, args[i]);
                }
                return conversations(ps);
            }
        });
    }

    private static StoredMessage findBySenderCid(Connection c, String senderKey, String cid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + MSG_COLUMNS
                + " FROM messages WHERE sender = ? AND cid = ?")) {
            ps.setString(1, senderKey);
            ps.setString(2, cid);
            List<StoredMessage> found = messages(ps);
            return found.isEmpty() ? null : found.get(0);
        }
    }

    private static StoredNote findNoteBySenderCid(Connection c, String senderKey, String cid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + NOTE_COLUMNS + " FROM notes WHERE sender = ? AND cid = ?")) {
            ps.setString(1, senderKey);
            ps.setString(2, cid);
            List<StoredNote> found = notes(ps);
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

    private Conversation insertConversation(Connection c, String site, String visitorId, String agentId,
                                                   String status) throws SQLException {
        long now = System.currentTimeMillis();
        Long accepted = agentId == null ? null : now;
        Conversation conv = new Conversation(Ids.newId("c"), site, visitorId, agentId, status, 0, now, now, null,
                accepted, null, null, null, null);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO conversations (id, site, visitor_id, agent_id, "
                + "status, last_seq, created_at, updated_at, accepted_at) VALUES (?,?,?,?,?,0,?,?,?)")) {
            ps.setString(1, conv.id());
            ps.setString(2, site);
            ps.setString(3, visitorId);
            ps.setString(4, agentId);
            ps.setString(5, status);
            ps.setLong(6, now);
            ps.setLong(7, now);
            setNullableLong(ps, 8, accepted);
            ps.executeUpdate();
        }
        return remember(conv);
    }

    private Conversation updateStatus(Connection c, Conversation conv, String status, String agentId)
            throws SQLException {
        Conversation after = conv.withStatus(status, agentId, System.currentTimeMillis());
        try (PreparedStatement ps = c.prepareStatement("UPDATE conversations SET agent_id = ?, status = ?, updated_at = ?, "
                + "closed_at = ?, accepted_at = ? WHERE id = ?")) {
            ps.setString(1, agentId);
            ps.setString(2, status);
            ps.setLong(3, after.updatedAt());
            setNullableLong(ps, 4, after.closedAt());
            setNullableLong(ps, 5, after.acceptedAt());
            ps.setString(6, conv.id());
            ps.executeUpdate();
        }
        return remember(after);
    }

    private static void setNullableLong(PreparedStatement ps, int index, Long value) throws SQLException {
        if (value == null) {
            ps.setNull(index, java.sql.Types.BIGINT);
        } else {
            ps.setLong(index, value);
        }
    }

    private static List<Conversation> conversations(PreparedStatement ps) throws SQLException {
        List<Conversation> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(conversation(rs));
            }
        }
        return out;
    }

    /** The row's first columns, {@link #CONV_COLUMNS}. */
    private static Conversation conversation(ResultSet rs) throws SQLException {
        return new Conversation(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                rs.getString(5), rs.getLong(6), rs.getLong(7), rs.getLong(8), nullableLong(rs, 9),
                nullableLong(rs, 10), nullableLong(rs, 11), rs.getString(12), nullableInt(rs, 13),
                rs.getString(14));
    }

    private static Long nullableLong(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    private static Integer nullableInt(ResultSet rs, int column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }

    private static List<StoredMessage> messages(PreparedStatement ps) throws SQLException {
        List<StoredMessage> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(message(rs, 1));
            }
        }
        return out;
    }

    private static StoredMessage message(ResultSet rs, int first) throws SQLException {
        int i = first;
        return new StoredMessage(rs.getString(i), rs.getLong(i + 1), rs.getString(i + 2), rs.getString(i + 3),
                rs.getString(i + 4), rs.getString(i + 5), rs.getString(i + 6), rs.getString(i + 7), rs.getString(i + 8),
                rs.getLong(i + 9), nullableLong(rs, i + 10));
    }

    private static List<StoredNote> notes(PreparedStatement ps) throws SQLException {
        List<StoredNote> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new StoredNote(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getString(6), rs.getLong(7), rs.getLong(8)));
            }
        }
        return out;
    }
}

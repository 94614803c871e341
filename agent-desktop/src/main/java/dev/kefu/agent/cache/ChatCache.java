package dev.kefu.agent.cache;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.kefu.protocol.ConvStatus;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.MessageKind;
import dev.kefu.protocol.Role;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The agent's local copy of everything it has seen, one SQLite file per relay and account:
 * conversations, messages, the outbox, visitors and the agents met so far. Every message lands here
 * before any screen shows it, and the app restarted without network shows it all from here.
 *
 * <p>Per conversation it keeps {@code held_seq}, the highest seq below which every message is
 * cached (the {@code resume} position sent in {@code hello}). An own message goes in as
 * {@code pending} with an outbox row holding the exact frame to resend; the ack (or the relay's
 * {@code msg} carrying the same cid, whichever comes first) gives it its seq and empties the outbox
 * row in the same transaction.
 *
 * <p>Internal notes live in their own table, numbered by the relay's {@code nseq} and placed after
 * message {@code after_seq}; an own note goes through the same outbox. A recall marks its message
 * ({@code recalled_at}) and, for agents who are not admins, forgets its text. A visitor's rating and
 * the contact details it left ({@code conv.contact}) are kept with their conversation.
 *
 * <p>Seqs are only meaningful under the relay's epoch ({@code welcome.epoch}, which changes when the
 * relay's store is restored from a backup), so the cache keeps the epoch they were received under
 * ({@link #epoch()}); under a new one it forgets them ({@link #forgetHistory()}).
 *
 * <p>Thread-safe (every method synchronised on the cache); all methods block on disk, so callers
 * keep them off the UI thread.
 */
public final class ChatCache implements AutoCloseable {
    /** The schema in steps: {@code MIGRATIONS.get(i)} takes a cache file from version i to i+1. */
    static final List<String> MIGRATIONS = List.of("""
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE conversations (
              id TEXT PRIMARY KEY,
              site TEXT,
              status TEXT NOT NULL,
              visitor_id TEXT,
              visitor_name TEXT,
              agent_id TEXT,
              agent_name TEXT,
              last_seq INTEGER NOT NULL DEFAULT 0,
              created_at INTEGER NOT NULL DEFAULT 0,
              held_seq INTEGER NOT NULL DEFAULT 0,
              my_read_seq INTEGER NOT NULL DEFAULT 0,
              peer_read_seq INTEGER NOT NULL DEFAULT 0,
              unread INTEGER NOT NULL DEFAULT 0,
              last_body TEXT,
              last_from_role TEXT,
              last_ts INTEGER NOT NULL DEFAULT 0);
            CREATE INDEX conversations_visitor ON conversations(visitor_id);
            CREATE TABLE messages (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              conv TEXT,
              seq INTEGER,
              cid TEXT,
              from_role TEXT NOT NULL,
              from_id TEXT,
              from_name TEXT,
              kind TEXT NOT NULL,
              body TEXT,
              file_name TEXT,
              ts INTEGER NOT NULL,
              state TEXT NOT NULL,
              error TEXT);
            CREATE UNIQUE INDEX messages_conv_seq ON messages(conv, seq);
            CREATE INDEX messages_cid ON messages(cid);
            CREATE TABLE outbox (
              cid TEXT PRIMARY KEY,
              message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
              frame TEXT NOT NULL,
              created_at INTEGER NOT NULL);
            CREATE TABLE visitors (
              id TEXT PRIMARY KEY,
              site TEXT,
              name TEXT,
              attrs_json TEXT,
              page_url TEXT,
              page_title TEXT,
              referrer TEXT,
              ua TEXT,
              ip TEXT,
              pages INTEGER NOT NULL DEFAULT 0,
              since INTEGER NOT NULL DEFAULT 0,
              last_seen INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE visitor_pages (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              visitor_id TEXT NOT NULL,
              url TEXT,
              title TEXT,
              ts INTEGER NOT NULL);
            CREATE INDEX visitor_pages_visitor ON visitor_pages(visitor_id, id);
            CREATE TABLE agents (id TEXT PRIMARY KEY, name TEXT)
            """, """
            ALTER TABLE messages ADD COLUMN file_key TEXT;
            ALTER TABLE messages ADD COLUMN file_mime TEXT;
            ALTER TABLE messages ADD COLUMN file_size INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE outbox ADD COLUMN upload_path TEXT
            """, """
            ALTER TABLE messages ADD COLUMN recalled_at INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE conversations ADD COLUMN rating INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE conversations ADD COLUMN rating_comment TEXT;
            CREATE TABLE notes (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              conv TEXT NOT NULL,
              nseq INTEGER,
              cid TEXT,
              author_id TEXT,
              author_name TEXT,
              body TEXT NOT NULL,
              after_seq INTEGER NOT NULL DEFAULT 0,
              ts INTEGER NOT NULL,
              state TEXT NOT NULL,
              error TEXT);
            CREATE UNIQUE INDEX notes_conv_nseq ON notes(conv, nseq);
            CREATE INDEX notes_cid ON notes(cid);
            CREATE TABLE outbox_v3 (
              cid TEXT PRIMARY KEY,
              message_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
              note_id INTEGER REFERENCES notes(id) ON DELETE CASCADE,
              frame TEXT NOT NULL,
              created_at INTEGER NOT NULL,
              upload_path TEXT,
              CHECK ((message_id IS NULL) <> (note_id IS NULL)));
            INSERT INTO outbox_v3(cid, message_id, frame, created_at, upload_path)
              SELECT cid, message_id, frame, created_at, upload_path FROM outbox ORDER BY rowid;
            DROP TABLE outbox;
            ALTER TABLE outbox_v3 RENAME TO outbox
            """, """
            ALTER TABLE conversations ADD COLUMN contact_name TEXT;
            ALTER TABLE conversations ADD COLUMN contact_email TEXT;
            ALTER TABLE conversations ADD COLUMN contact_phone TEXT;
            ALTER TABLE conversations ADD COLUMN contact_text TEXT
            """);

    /** The meta key of {@link #epoch()}. */
    private static final String EPOCH_META = "relay.epoch";
    private static final String PENDING = "pending";
    private static final String STORED = "stored";
    private static final String FAILED = "failed";
    private static final String MESSAGE_COLUMNS = "m.id, m.conv, m.seq, m.cid, m.from_role, m.from_id, m.from_name, "
            + "m.kind, m.body, m.file_name, m.ts, m.state, m.error, coalesce(c.peer_read_seq, 0), m.file_key, m.file_mime, "
            + "m.file_size, m.recalled_at";
    private static final String NOTE_COLUMNS = "n.id, n.conv, n.nseq, n.cid, n.author_id, n.author_name, n.body, "
            + "n.after_seq, n.ts, n.state, n.error";
    private static final String CONVERSATION_COLUMNS = "id, site, status, visitor_id, visitor_name, agent_id, "
            + "agent_name, last_seq, created_at, held_seq, my_read_seq, peer_read_seq, unread, last_body, "
            + "last_from_role, last_ts, rating, rating_comment, contact_name, contact_email, contact_phone, contact_text";

    /** How the list names the visitor of conversation {@code c}: the relay's name, else the contact form's, else its id. */
    private static final String VISITOR_LABEL = "coalesce(c.visitor_name, c.contact_name, c.visitor_id, c.id)";
    /** A search written as (part of) a phone number: digits with the separators phones are written with; matched by its digits when it has 3 or more. */
    private static final Pattern PHONE_QUERY = Pattern.compile("\\+?[\\d\\s().-]+");

    private final Sql sql;

    private ChatCache(Sql sql) {
        this.sql = sql;
    }

    public static ChatCache open(Path file) {
        return new ChatCache(new Sql(SqliteFile.open(file, MIGRATIONS)));
    }

    /** The cache file of {@code username} on the relay {@code serverKey}, under {@code dataDir}. */
    public static Path fileFor(Path dataDir, String serverKey, String username) {
        String user = username.replaceAll("[^A-Za-z0-9._-]", "_");
        return dataDir.resolve("cache").resolve(serverKey).resolve(user + ".db");
    }

    /** Runs {@code work} in one transaction (nested calls join the outer one). */
    public synchronized <T> T inTransaction(Supplier<T> work) {
        return sql.transaction(work);
    }

    public synchronized void inTransaction(Runnable work) {
        sql.transaction(() -> {
            work.run();
            return null;
        });
    }

    // ---- conversations ----

    public synchronized Optional<Conversation> conversation(String id) {
        return sql.queryOne("SELECT " + CONVERSATION_COLUMNS + " FROM conversations WHERE id = ?",
                ChatCache::conversationRow, id);
    }

    /** Every cached conversation, newest activity first, at most {@code limit}. */
    public synchronized List<Conversation> conversations(int limit) {
        return sql.query("SELECT " + CONVERSATION_COLUMNS + " FROM conversations "
                + "ORDER BY max(last_ts, created_at) DESC LIMIT ?", ChatCache::conversationRow, limit);
    }

    /** Earlier (and current) conversations of a visitor, newest first. */
    public synchronized List<Conversation> conversationsOfVisitor(String visitorId) {
        return sql.query("SELECT " + CONVERSATION_COLUMNS + " FROM conversations WHERE visitor_id = ? "
                + "ORDER BY created_at DESC", ChatCache::conversationRow, visitorId);
    }

    /**
     * Takes what the relay says of a conversation; names it does not send are kept, and so are the rating
     * and the contact details when it sends none (a contact it sends replaces the one held: the relay keeps
     * the visitor's latest). Returns the new row.
     */
    public synchronized Conversation upsertConversation(Frame.ConvInfo c) {
        return sql.transaction(() -> {
            sql.update("""
                    INSERT INTO conversations(id, site, status, visitor_id, visitor_name, agent_id, agent_name, last_seq, created_at,
                                              rating, rating_comment)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET
                      site = coalesce(excluded.site, site),
                      status = excluded.status,
                      visitor_id = coalesce(excluded.visitor_id, visitor_id),
                      visitor_name = coalesce(excluded.visitor_name, visitor_name),
                      agent_name = CASE WHEN excluded.agent_id IS NULL THEN NULL
                                        WHEN excluded.agent_name IS NOT NULL THEN excluded.agent_name
                                        WHEN agent_id = excluded.agent_id THEN agent_name END,
                      agent_id = excluded.agent_id,
                      last_seq = max(last_seq, excluded.last_seq),
                      created_at = CASE WHEN excluded.created_at > 0 THEN excluded.created_at ELSE created_at END,
                      rating_comment = CASE WHEN excluded.rating > 0 THEN excluded.rating_comment ELSE rating_comment END,
                      rating = CASE WHEN excluded.rating > 0 THEN excluded.rating ELSE rating END
                    """, c.id(), c.site(), c.status(), c.visitor(), c.visitorName(), c.agent(), c.agentName(),
                    c.lastSeq(), c.createdAt(), c.rating() == null ? 0 : c.rating(), c.ratingComment());
            ContactDetails contact = ContactDetails.of(c.contact());
            if (contact != null) {
                sql.update("UPDATE conversations SET contact_name = ?, contact_email = ?, contact_phone = ?, "
                        + "contact_text = ? WHERE id = ?", contact.name(), contact.email(), contact.phone(),
                        contact.text(), c.id());
            }
            if (c.agent() != null) {
                rememberAgent(c.agent(), c.agentName());
            }
            return conversation(c.id()).orElseThrow();
        });
    }

    /**
     * Takes a conversation the relay listed (a visitor's earlier ones) that this cache may never have
     * held: inserted when absent, as history (nothing in it counts as unread); when held, updated only
     * if the relay says it is closed (a close is final, so a list older than a live {@code conv} frame
     * cannot undo anything). Returns whether the cache changed.
     */
    public synchronized boolean takeListedConversation(Frame.ConvInfo c) {
        return sql.transaction(() -> {
            Optional<Conversation> held = conversation(c.id());
            if (held.isEmpty()) {
                upsertConversation(c);
                sql.update("UPDATE conversations SET my_read_seq = last_seq WHERE id = ?", c.id());
                return true;
            }
            if (!ConvStatus.CLOSED.equals(c.status())) {
                return false;
            }
            return !upsertConversation(c).equals(held.get());
        });
    }

    /** Marks closed every live conversation not in {@code live} (the relay's welcome lists all live ones). */
    public synchronized List<Conversation> closeAllExcept(Set<String> live) {
        return sql.transaction(() -> {
            List<Conversation> closed = new ArrayList<>();
            for (Conversation c : sql.query("SELECT " + CONVERSATION_COLUMNS + " FROM conversations WHERE status <> ?",
                    ChatCache::conversationRow, ConvStatus.CLOSED)) {
                if (!live.contains(c.id())) {
                    sql.update("UPDATE conversations SET status = ? WHERE id = ?", ConvStatus.CLOSED, c.id());
                    closed.add(conversation(c.id()).orElseThrow());
                }
            }
            return closed;
        });
    }

    /** The {@code resume} map for hello: every live conversation and the seq below which all is held. */
    public synchronized Map<String, Long> resumePositions() {
        Map<String, Long> out = new LinkedHashMap<>();
        sql.query("SELECT id, held_seq FROM conversations WHERE status <> ?",
                rs -> out.put(rs.getString(1), rs.getLong(2)), ConvStatus.CLOSED);
        return out;
    }

    /** This agent has seen the conversation up to {@code seq}; recounts its unread messages. */
    public synchronized Conversation markRead(String conv, long seq) {
        return sql.transaction(() -> {
            long read = Math.max(seq, sql.queryLong("SELECT my_read_seq FROM conversations WHERE id = ?", conv));
            long unread = sql.queryLong("SELECT count(*) FROM messages WHERE conv = ? AND seq > ? AND from_role = ?",
                    conv, read, Role.VISITOR);
            sql.update("UPDATE conversations SET my_read_seq = ?, unread = ? WHERE id = ?", read, unread, conv);
            return conversation(conv).orElseThrow();
        });
    }

    /**
     * The visitor has read up to {@code seq}: returns the agents' messages whose state turns to read
     * (empty when nothing moved).
     */
    public synchronized List<ChatMessage> markReadByVisitor(String conv, long seq) {
        return sql.transaction(() -> {
            long before = sql.queryLong("SELECT peer_read_seq FROM conversations WHERE id = ?", conv);
            if (seq <= before) {
                return List.of();
            }
            sql.update("UPDATE conversations SET peer_read_seq = ? WHERE id = ?", seq, conv);
            return sql.query("SELECT " + MESSAGE_COLUMNS + " FROM messages m JOIN conversations c ON c.id = m.conv "
                    + "WHERE m.conv = ? AND m.seq > ? AND m.seq <= ? AND m.from_role <> ? ORDER BY m.seq",
                    ChatCache::messageRow, conv, before, seq, Role.VISITOR);
        });
    }

    // ---- messages ----

    /**
     * Stores a message from the relay. Returns it, or empty when the cache already holds that seq
     * (clients drop repeats). An own message still pending under the same cid is confirmed instead
     * of stored twice.
     */
    public synchronized Optional<ChatMessage> storeMessage(Frame.Msg m, String myAgentId) {
        return sql.transaction(() -> {
            ensureConversation(m.conv());
            if (hasSeq(m.conv(), m.seq())) {
                return Optional.empty();
            }
            Frame.Party from = m.from() == null ? new Frame.Party(Role.SYSTEM, null, null) : m.from();
            String fileName = m.file() == null ? null : m.file().name();
            String fileKey = m.file() == null ? null : m.file().key();
            String fileMime = m.file() == null ? null : m.file().mime();
            long fileSize = m.file() == null || m.file().size() == null ? 0 : m.file().size();
            String kind = m.kind() == null ? MessageKind.TEXT : m.kind();
            boolean recalled = Boolean.TRUE.equals(m.recalled());
            Optional<Long> own = Role.AGENT.equals(from.role()) && from.id() != null && from.id().equals(myAgentId)
                    ? pendingId(m.cid()) : Optional.empty();
            long id;
            if (own.isPresent()) {
                id = own.get();
                sql.update("UPDATE messages SET conv = ?, seq = ?, ts = ?, state = ?, error = NULL, recalled_at = ? "
                        + "WHERE id = ?", m.conv(), m.seq(), m.ts(), STORED, recalled ? Math.max(1, m.ts()) : 0, id);
                if (fileKey != null) {
                    sql.update("UPDATE messages SET file_key = ? WHERE id = ?", fileKey, id);
                }
                sql.update("DELETE FROM outbox WHERE cid = ?", m.cid());
            } else {
                id = sql.insert("INSERT INTO messages(conv, seq, cid, from_role, from_id, from_name, kind, body, file_name, "
                                + "ts, state, file_key, file_mime, file_size, recalled_at) "
                                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        m.conv(), m.seq(), m.cid(), from.role(), from.id(), from.name(), kind, m.body(), fileName, m.ts(),
                        STORED, fileKey, fileMime, fileSize, recalled ? Math.max(1, m.ts()) : 0);
            }
            stored(m.conv(), m.seq(), recalled ? Conversation.RECALLED_PREVIEW : preview(kind, m.body(), fileName),
                    from.role(), m.ts());
            if (Role.VISITOR.equals(from.role()) && from.name() != null) {
                sql.update("UPDATE conversations SET visitor_name = ? WHERE id = ? AND visitor_name IS NULL",
                        from.name(), m.conv());
            } else if (Role.AGENT.equals(from.role()) && from.id() != null) {
                rememberAgent(from.id(), from.name());
            }
            return message(id);
        });
    }

    /**
     * Writes an own message before it is sent: a pending row (shown at once) and the outbox row
     * holding {@code frameJson}, the exact frame to (re)send. {@code conv} is null for an invitation.
     */
    public synchronized ChatMessage addPending(String conv, String cid, Frame.Party me, String body, String frameJson) {
        return sql.transaction(() -> {
            long now = System.currentTimeMillis();
            long id = sql.insert("INSERT INTO messages(conv, seq, cid, from_role, from_id, from_name, kind, body, ts, state) "
                    + "VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, ?)", conv, cid, me.role(), me.id(), me.name(),
                    MessageKind.TEXT, body, now, PENDING);
            sql.update("INSERT INTO outbox(cid, message_id, frame, created_at) VALUES (?, ?, ?, ?)", cid, id, frameJson, now);
            if (conv != null) {
                sql.update("UPDATE conversations SET last_body = ?, last_from_role = ?, last_ts = ? WHERE id = ?",
                        body, me.role(), now, conv);
            }
            return message(id).orElseThrow();
        });
    }

    /**
     * Writes an own image or file before it is uploaded: a pending row and an outbox row holding the
     * {@code send} frame without a key yet, and the local {@code path} to upload from (see
     * {@link #fileUploaded}).
     */
    public synchronized ChatMessage addPendingFile(String conv, String cid, Frame.Party me, String kind, String name,
                                                   String mime, long size, String frameJson, String path) {
        return sql.transaction(() -> {
            long now = System.currentTimeMillis();
            long id = sql.insert("INSERT INTO messages(conv, seq, cid, from_role, from_id, from_name, kind, body, file_name, "
                    + "ts, state, file_mime, file_size) VALUES (?, NULL, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)", conv, cid,
                    me.role(), me.id(), me.name(), kind, name, now, PENDING, mime, size);
            sql.update("INSERT INTO outbox(cid, message_id, frame, created_at, upload_path) VALUES (?, ?, ?, ?, ?)",
                    cid, id, frameJson, now, path);
            sql.update("UPDATE conversations SET last_body = ?, last_from_role = ?, last_ts = ? WHERE id = ?",
                    preview(kind, null, name), me.role(), now, conv);
            return message(id).orElseThrow();
        });
    }

    /** The file of {@code cid} is in storage under {@code key}: the outbox row now holds the frame to send. */
    public synchronized Optional<ChatMessage> fileUploaded(String cid, String key, String frameJson) {
        return sql.transaction(() -> {
            Optional<Long> pending = pendingId(cid);
            sql.update("UPDATE outbox SET frame = ?, upload_path = NULL WHERE cid = ?", frameJson, cid);
            pending.ifPresent(id -> sql.update("UPDATE messages SET file_key = ? WHERE id = ?", key, id));
            return pending.flatMap(this::message);
        });
    }

    /** The relay acked {@code cid}: the pending message gets its seq. Empty when already confirmed. */
    public synchronized Optional<ChatMessage> confirm(String cid, String conv, long seq, long ts) {
        return sql.transaction(() -> {
            Optional<Long> pending = pendingId(cid);
            sql.update("DELETE FROM outbox WHERE cid = ?", cid);
            if (pending.isEmpty()) {
                return Optional.empty();
            }
            ensureConversation(conv);
            if (hasSeq(conv, seq)) {
                sql.update("DELETE FROM messages WHERE id = ?", pending.get());
                return Optional.empty();
            }
            sql.update("UPDATE messages SET conv = ?, seq = ?, ts = ?, state = ?, error = NULL WHERE id = ?",
                    conv, seq, ts, STORED, pending.get());
            ChatMessage m = message(pending.get()).orElseThrow();
            stored(conv, seq, preview(m.kind(), m.body(), m.fileName()), m.fromRole(), ts);
            return message(pending.get());
        });
    }

    /** The relay refused {@code cid} for good: the message shows as failed and leaves the outbox. */
    public synchronized Optional<ChatMessage> fail(String cid, String code) {
        return sql.transaction(() -> {
            Optional<Long> pending = pendingId(cid);
            Optional<Long> note = pending.isEmpty() ? pendingNoteId(cid) : Optional.empty();
            sql.update("DELETE FROM outbox WHERE cid = ?", cid);
            pending.ifPresent(id -> sql.update("UPDATE messages SET state = ?, error = ? WHERE id = ?", FAILED, code, id));
            note.ifPresent(id -> sql.update("UPDATE notes SET state = ?, error = ? WHERE id = ?", FAILED, code, id));
            return pending.isPresent() ? pending.flatMap(this::message) : note.flatMap(this::note);
        });
    }

    // ---- recalls ----

    /**
     * Message {@code seq} was recalled by its sender at {@code recalledAt} (epoch ms). Unless
     * {@code keepOriginal} (admins, whom the relay still shows the original), its text and file
     * are forgotten. Returns the message as it now is; empty when not cached or already recalled.
     */
    public synchronized Optional<ChatMessage> markRecalled(String conv, long seq, long recalledAt, boolean keepOriginal) {
        return sql.transaction(() -> {
            Optional<Long> id = sql.queryOne("SELECT id FROM messages WHERE conv = ? AND seq = ? AND recalled_at = 0",
                    rs -> rs.getLong(1), conv, seq);
            if (id.isEmpty()) {
                return Optional.empty();
            }
            long at = recalledAt > 0 ? recalledAt : System.currentTimeMillis();
            if (keepOriginal) {
                sql.update("UPDATE messages SET recalled_at = ? WHERE id = ?", at, id.get());
            } else {
                sql.update("UPDATE messages SET recalled_at = ?, body = NULL, file_key = NULL, file_name = NULL, "
                        + "file_mime = NULL, file_size = 0 WHERE id = ?", at, id.get());
            }
            sql.update("UPDATE conversations SET last_body = ? WHERE id = ? AND last_seq = ?",
                    Conversation.RECALLED_PREVIEW, conv, seq);
            return message(id.get());
        });
    }

    // ---- internal notes ----

    /**
     * Writes an own note before it is sent: a pending note (shown at once, after the newest message
     * cached) and the outbox row holding {@code frameJson}, resent as is until acked.
     */
    public synchronized ChatMessage addPendingNote(String conv, String cid, Frame.Party me, String body, String frameJson) {
        return sql.transaction(() -> {
            long now = System.currentTimeMillis();
            long after = sql.queryLong("SELECT last_seq FROM conversations WHERE id = ?", conv);
            long id = sql.insert("INSERT INTO notes(conv, nseq, cid, author_id, author_name, body, after_seq, ts, state) "
                    + "VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?)", conv, cid, me.id(), me.name(), body, after, now, PENDING);
            sql.update("INSERT INTO outbox(cid, note_id, frame, created_at) VALUES (?, ?, ?, ?)", cid, id, frameJson, now);
            return note(id).orElseThrow();
        });
    }

    /**
     * Stores a note from the relay (live, replayed after hello, or in a {@code msgs} page). An own
     * pending note with the same cid is confirmed instead of stored twice. Returns the note when it
     * is new or moved ({@code afterSeq} corrected); empty when the cache already holds it as is.
     */
    public synchronized Optional<ChatMessage> storeNote(Frame.Note n, String myAgentId) {
        return sql.transaction(() -> {
            ensureConversation(n.conv());
            Optional<long[]> held = sql.queryOne("SELECT id, after_seq FROM notes WHERE conv = ? AND nseq = ?",
                    rs -> new long[]{rs.getLong(1), rs.getLong(2)}, n.conv(), n.nseq());
            if (held.isPresent()) {
                if (held.get()[1] == n.afterSeq()) {
                    return Optional.empty();
                }
                sql.update("UPDATE notes SET after_seq = ? WHERE id = ?", n.afterSeq(), held.get()[0]);
                return note(held.get()[0]);
            }
            Frame.Party from = n.from() == null ? new Frame.Party(Role.AGENT, null, null) : n.from();
            Optional<Long> own = from.id() != null && from.id().equals(myAgentId) ? pendingNoteId(n.cid()) : Optional.empty();
            long id;
            if (own.isPresent()) {
                id = own.get();
                sql.update("UPDATE notes SET nseq = ?, after_seq = ?, ts = ?, state = ?, error = NULL WHERE id = ?",
                        n.nseq(), n.afterSeq(), n.ts(), STORED, id);
                sql.update("DELETE FROM outbox WHERE cid = ?", n.cid());
            } else {
                id = sql.insert("INSERT INTO notes(conv, nseq, cid, author_id, author_name, body, after_seq, ts, state) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", n.conv(), n.nseq(), n.cid(), from.id(), from.name(),
                        n.body(), n.afterSeq(), n.ts(), STORED);
            }
            if (from.id() != null) {
                rememberAgent(from.id(), from.name());
            }
            return note(id);
        });
    }

    /** The relay acked note {@code cid} as number {@code nseq}. Empty when already confirmed. */
    public synchronized Optional<ChatMessage> confirmNote(String cid, String conv, long nseq, long ts) {
        return sql.transaction(() -> {
            Optional<Long> pending = pendingNoteId(cid);
            sql.update("DELETE FROM outbox WHERE cid = ?", cid);
            if (pending.isEmpty()) {
                return Optional.empty();
            }
            if (sql.queryLong("SELECT count(*) FROM notes WHERE conv = ? AND nseq = ?", conv, nseq) > 0) {
                sql.update("DELETE FROM notes WHERE id = ?", pending.get());
                return Optional.empty();
            }
            sql.update("UPDATE notes SET conv = ?, nseq = ?, ts = ?, state = ?, error = NULL WHERE id = ?",
                    conv, nseq, ts, STORED, pending.get());
            return note(pending.get());
        });
    }

    /** Every note of a conversation: stored ones by number, then pending and failed ones. */
    public synchronized List<ChatMessage> notes(String conv) {
        return notesBetween(conv, 0, Long.MAX_VALUE, true);
    }

    private List<ChatMessage> notesBetween(String conv, long fromAfterSeq, long toAfterSeq, boolean withPending) {
        List<ChatMessage> out = new ArrayList<>(sql.query("SELECT " + NOTE_COLUMNS + " FROM notes n WHERE n.conv = ? "
                + "AND n.nseq IS NOT NULL AND n.after_seq BETWEEN ? AND ? ORDER BY n.nseq", ChatCache::noteRow, conv,
                fromAfterSeq, toAfterSeq));
        if (withPending) {
            out.addAll(sql.query("SELECT " + NOTE_COLUMNS + " FROM notes n WHERE n.conv = ? AND n.nseq IS NULL "
                    + "ORDER BY n.id", ChatCache::noteRow, conv));
        }
        return out;
    }

    /** Frames waiting for their ack, oldest first. */
    public synchronized List<OutboxEntry> outbox() {
        return sql.query("SELECT cid, frame, created_at, upload_path FROM outbox ORDER BY created_at, rowid",
                rs -> new OutboxEntry(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getString(4)));
    }

    public synchronized int outboxSize() {
        return (int) sql.queryLong("SELECT count(*) FROM outbox");
    }

    /**
     * The newest stored messages of a conversation, at most {@code limit}, oldest first, with no seq
     * missing among them: the page stops above a gap (older messages cached below it are not
     * shown next to newer ones as if nothing were between). Then its pending and failed ones, then the
     * notes placed among them (stored, pending and failed).
     */
    public synchronized List<ChatMessage> latestMessages(String conv, int limit) {
        List<ChatMessage> stored = unbroken(sql.query("SELECT " + MESSAGE_COLUMNS
                + " FROM messages m LEFT JOIN conversations c ON c.id = m.conv WHERE m.conv = ? AND m.seq IS NOT NULL "
                + "ORDER BY m.seq DESC LIMIT ?", ChatCache::messageRow, conv, limit), Long.MAX_VALUE);
        // the notes placed among these messages (all of them when the page starts at the beginning)
        long lowest = stored.isEmpty() ? 0 : stored.get(0).seq();
        List<ChatMessage> notes = notesBetween(conv, lowest <= 1 ? 0 : lowest, Long.MAX_VALUE, true);
        stored.addAll(sql.query("SELECT " + MESSAGE_COLUMNS + " FROM messages m LEFT JOIN conversations c ON c.id = m.conv "
                + "WHERE m.conv = ? AND m.seq IS NULL ORDER BY m.id", ChatCache::messageRow, conv));
        stored.addAll(notes);
        return stored;
    }

    /**
     * Up to {@code limit} stored messages just below {@code beforeSeq} with none missing between them
     * and {@code beforeSeq} (empty when {@code beforeSeq - 1} is not cached: a gap, to be asked of the
     * relay), oldest first, then the notes among them.
     */
    public synchronized List<ChatMessage> messagesBefore(String conv, long beforeSeq, int limit) {
        List<ChatMessage> out = unbroken(sql.query("SELECT " + MESSAGE_COLUMNS
                + " FROM messages m LEFT JOIN conversations c ON c.id = m.conv WHERE m.conv = ? AND m.seq < ? "
                + "ORDER BY m.seq DESC LIMIT ?", ChatCache::messageRow, conv, beforeSeq, limit), beforeSeq);
        if (!out.isEmpty()) {
            long lowest = out.get(0).seq();
            out.addAll(notesBetween(conv, lowest <= 1 ? 0 : lowest, beforeSeq - 1, false));
        }
        return out;
    }

    /**
     * Of messages newest first, those that follow {@code aboveSeq} down with no seq missing (any seq
     * may start the run when {@code aboveSeq} is {@link Long#MAX_VALUE}), oldest first.
     */
    private static List<ChatMessage> unbroken(List<ChatMessage> newestFirst, long aboveSeq) {
        List<ChatMessage> out = new ArrayList<>();
        long expected = aboveSeq == Long.MAX_VALUE && !newestFirst.isEmpty() ? newestFirst.get(0).seq() : aboveSeq - 1;
        for (ChatMessage m : newestFirst) {
            if (m.seq() != expected) {
                break;
            }
            out.add(m);
            expected--;
        }
        Collections.reverse(out);
        return out;
    }

    /** The highest seq cached for {@code conv} below {@code seq}, 0 when none: where a gap below {@code seq} ends. */
    public synchronized long highestSeqBelow(String conv, long seq) {
        return sql.queryLong("SELECT coalesce(max(seq), 0) FROM messages WHERE conv = ? AND seq < ?", conv, seq);
    }

    /** The lowest seq of {@code conv}'s messages sent at or after {@code sinceTs} and not recalled; 0 when none. */
    public synchronized long lowestRecallableSeq(String conv, long sinceTs) {
        return sql.queryLong("SELECT coalesce(min(seq), 0) FROM messages WHERE conv = ? AND seq IS NOT NULL "
                + "AND recalled_at = 0 AND ts >= ?", conv, sinceTs);
    }

    /** The highest seq cached for {@code conv}, 0 when none. */
    public synchronized long highestSeq(String conv) {
        return sql.queryLong("SELECT coalesce(max(seq), 0) FROM messages WHERE conv = ?", conv);
    }

    /** The lowest seq cached for {@code conv}, 0 when none. */
    public synchronized long lowestSeq(String conv) {
        return sql.queryLong("SELECT coalesce(min(seq), 0) FROM messages WHERE conv = ?", conv);
    }

    public synchronized long messageCount() {
        return sql.queryLong("SELECT count(*) FROM messages");
    }

    /**
     * What a history search finds: first the cached conversations whose contact details (name, email,
     * phone, text) contain {@code text}, one hit per conversation, then the cached messages whose text
     * contains it; each part newest first, at most {@code limit} hits in all. Case-insensitive for Latin
     * letters. A query that reads as a phone number (digits, with spaces, dashes, dots, brackets or a
     * leading +) finds a phone however the visitor spaced it: "13800138000" finds "+86 138-0013-8000".
     */
    public synchronized List<SearchHit> search(String text, int limit) {
        String pattern = likePattern(text);
        String digits = PHONE_QUERY.matcher(text).matches() ? text.replaceAll("\\D", "") : "";
        String phone = "(c.contact_phone LIKE ?1 ESCAPE '\\' OR (length(?2) >= 3 AND replace(replace(replace(replace("
                + "replace(replace(c.contact_phone, ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', '') "
                + "LIKE '%' || ?2 || '%'))";
        List<SearchHit> hits = new ArrayList<>(sql.query("SELECT c.id, " + VISITOR_LABEL + ", CASE "
                + "WHEN c.contact_email LIKE ?1 ESCAPE '\\' THEN 'EMAIL' WHEN " + phone + " THEN 'PHONE' "
                + "WHEN c.contact_name LIKE ?1 ESCAPE '\\' THEN 'NAME' ELSE 'TEXT' END, "
                + "c.contact_email, c.contact_phone, c.contact_name, c.contact_text, max(c.last_ts, c.created_at) "
                + "FROM conversations c WHERE c.contact_email LIKE ?1 ESCAPE '\\' OR " + phone
                + " OR c.contact_name LIKE ?1 ESCAPE '\\' OR c.contact_text LIKE ?1 ESCAPE '\\' "
                + "ORDER BY max(c.last_ts, c.created_at) DESC LIMIT ?3",
                rs -> {
                    SearchHit.ContactField field = SearchHit.ContactField.valueOf(rs.getString(3));
                    String value = switch (field) {
                        case EMAIL -> rs.getString(4);
                        case PHONE -> rs.getString(5);
                        case NAME -> rs.getString(6);
                        case TEXT -> rs.getString(7);
                    };
                    return new SearchHit(rs.getString(1), rs.getString(2), 0, null, value, rs.getLong(8), field);
                }, pattern, digits, limit));
        hits.addAll(sql.query("SELECT m.conv, " + VISITOR_LABEL + ", m.seq, m.from_role, m.body, m.ts "
                + "FROM messages m JOIN conversations c ON c.id = m.conv "
                + "WHERE m.seq IS NOT NULL AND m.recalled_at = 0 AND m.body LIKE ? ESCAPE '\\' ORDER BY m.ts DESC LIMIT ?",
                rs -> new SearchHit(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getString(4), rs.getString(5),
                        rs.getLong(6), null), pattern, limit - hits.size()));
        return hits;
    }

    /** {@code text} anywhere, for {@code LIKE ... ESCAPE '\'}: its own {@code %}, {@code _} and {@code \} taken literally. */
    private static String likePattern(String text) {
        return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    }

    // ---- visitors and agents ----

    public synchronized void upsertVisitor(Frame.VisitorPresence v, long now) {
        Frame.PageInfo page = v.page();
        sql.transaction(() -> {
            sql.update("""
                    INSERT INTO visitors(id, site, name, attrs_json, page_url, page_title, referrer, ua, ip, pages, since, last_seen)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET
                      site = coalesce(excluded.site, site),
                      name = coalesce(excluded.name, name),
                      attrs_json = coalesce(excluded.attrs_json, attrs_json),
                      page_url = coalesce(excluded.page_url, page_url),
                      page_title = coalesce(excluded.page_title, page_title),
                      referrer = coalesce(excluded.referrer, referrer),
                      ua = coalesce(excluded.ua, ua),
                      ip = coalesce(excluded.ip, ip),
                      pages = excluded.pages,
                      since = excluded.since,
                      last_seen = excluded.last_seen
                    """, v.id(), v.site(), v.name(), json(v.attrs()), page == null ? null : page.url(),
                    page == null ? null : page.title(), v.referrer(), v.ua(), v.ip(), v.pages(), v.since(), now);
            if (v.name() != null) {
                sql.update("UPDATE conversations SET visitor_name = ? WHERE visitor_id = ? AND visitor_name IS NULL",
                        v.name(), v.id());
            }
            return null;
        });
    }

    public synchronized void addPageVisit(String visitorId, String url, String title, long ts) {
        sql.update("INSERT INTO visitor_pages(visitor_id, url, title, ts) VALUES (?, ?, ?, ?)", visitorId, url, title, ts);
    }

    public synchronized Optional<CachedVisitor> visitor(String id) {
        return sql.queryOne("SELECT id, site, name, attrs_json, page_url, page_title, referrer, ua, ip, pages, since, last_seen "
                + "FROM visitors WHERE id = ?", rs -> new CachedVisitor(rs.getString(1), rs.getString(2), rs.getString(3),
                attrs(rs.getString(4)), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8),
                rs.getString(9), rs.getInt(10), rs.getLong(11), rs.getLong(12)), id);
    }

    /** Pages the visitor viewed while this app watched, newest first. */
    public synchronized List<PageVisit> pageVisits(String visitorId, int limit) {
        return sql.query("SELECT url, title, ts FROM visitor_pages WHERE visitor_id = ? ORDER BY id DESC LIMIT ?",
                rs -> new PageVisit(rs.getString(1), rs.getString(2), rs.getLong(3)), visitorId, limit);
    }

    public synchronized void rememberAgent(String id, String name) {
        if (id == null) {
            return;
        }
        sql.update("INSERT INTO agents(id, name) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET name = coalesce(excluded.name, name)",
                id, name);
    }

    public synchronized List<KnownAgent> knownAgents() {
        return sql.query("SELECT id, name FROM agents ORDER BY coalesce(name, id)",
                rs -> new KnownAgent(rs.getString(1), rs.getString(2)));
    }

    // ---- the relay's epoch ----

    /**
     * The relay's epoch ({@code welcome.epoch}) under which the seqs held here were received; empty
     * when none was kept (a new cache, or one filled by an older relay that sends none).
     */
    public synchronized Optional<String> epoch() {
        return meta(EPOCH_META);
    }

    public synchronized void setEpoch(String epoch) {
        setMeta(EPOCH_META, epoch);
    }

    /**
     * The relay's store was restored from a backup (its epoch changed): the seqs held here may name
     * other messages now. Forgets, in one transaction, every stored message and note, every read mark,
     * held and last seq, preview, rating and contact details (the restored relay sends again those it
     * holds), and every conversation that holds nothing else; keeps what the relay never acknowledged
     * (pending and failed messages and notes, their outbox rows, so the text is never lost: the outbox
     * is resent after the welcome as after any reconnect) with the conversations they belong to, and the
     * visitors, their pages and the agents met. Returns how many stored messages were forgotten.
     */
    public synchronized int forgetHistory() {
        return sql.transaction(() -> {
            long forgotten = sql.queryLong("SELECT count(*) FROM messages WHERE seq IS NOT NULL");
            sql.update("DELETE FROM messages WHERE seq IS NOT NULL");
            sql.update("DELETE FROM notes WHERE nseq IS NOT NULL");
            sql.update("DELETE FROM conversations WHERE id NOT IN (SELECT conv FROM messages WHERE conv IS NOT NULL) "
                    + "AND id NOT IN (SELECT conv FROM notes)");
            sql.update("UPDATE conversations SET last_seq = 0, held_seq = 0, my_read_seq = 0, peer_read_seq = 0, "
                    + "unread = 0, rating = 0, rating_comment = NULL, contact_name = NULL, contact_email = NULL, "
                    + "contact_phone = NULL, contact_text = NULL");
            // the list's preview: the newest own message kept (worded as preview() words it)
            sql.update("""
                    UPDATE conversations SET
                      last_body = (SELECT CASE WHEN m.body IS NOT NULL AND trim(m.body) <> '' THEN m.body
                                               WHEN m.file_name IS NOT NULL THEN '[' || m.kind || '] ' || m.file_name
                                               ELSE '[' || m.kind || ']' END
                                   FROM messages m WHERE m.conv = conversations.id ORDER BY m.id DESC LIMIT 1),
                      last_from_role = (SELECT m.from_role FROM messages m WHERE m.conv = conversations.id
                                        ORDER BY m.id DESC LIMIT 1)
                    """);
            sql.update("UPDATE notes SET after_seq = 0");
            return (int) forgotten;
        });
    }

    // ---- meta ----

    public synchronized Optional<String> meta(String key) {
        return sql.queryOne("SELECT value FROM meta WHERE key = ?", rs -> rs.getString(1), key);
    }

    public synchronized void setMeta(String key, String value) {
        sql.update("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                key, value);
    }

    @Override
    public synchronized void close() {
        sql.close();
    }

    // ---- internals (called with the lock held) ----

    private void ensureConversation(String conv) {
        sql.update("INSERT OR IGNORE INTO conversations(id, status, created_at) VALUES (?, ?, ?)",
                conv, ConvStatus.OPEN, System.currentTimeMillis());
    }

    private boolean hasSeq(String conv, long seq) {
        return sql.queryLong("SELECT count(*) FROM messages WHERE conv = ? AND seq = ?", conv, seq) > 0;
    }

    private Optional<Long> pendingId(String cid) {
        if (cid == null) {
            return Optional.empty();
        }
        return sql.queryOne("SELECT id FROM messages WHERE cid = ? AND seq IS NULL AND from_role = ? AND state = ?",
                rs -> rs.getLong(1), cid, Role.AGENT, PENDING);
    }

    private Optional<Long> pendingNoteId(String cid) {
        if (cid == null) {
            return Optional.empty();
        }
        return sql.queryOne("SELECT id FROM notes WHERE cid = ? AND nseq IS NULL AND state = ?",
                rs -> rs.getLong(1), cid, PENDING);
    }

    private Optional<ChatMessage> note(long id) {
        return sql.queryOne("SELECT " + NOTE_COLUMNS + " FROM notes n WHERE n.id = ?", ChatCache::noteRow, id);
    }

    private Optional<ChatMessage> message(long id) {
        return sql.queryOne("SELECT " + MESSAGE_COLUMNS + " FROM messages m LEFT JOIN conversations c ON c.id = m.conv "
                + "WHERE m.id = ?", ChatCache::messageRow, id);
    }

    /** A message with {@code seq} is now cached: move the conversation's counters and preview. */
    private void stored(String conv, long seq, String preview, String fromRole, long ts) {
        sql.update("""
                UPDATE conversations SET
                  last_body = CASE WHEN ? >= last_seq THEN ? ELSE last_body END,
                  last_from_role = CASE WHEN ? >= last_seq THEN ? ELSE last_from_role END,
                  last_ts = max(last_ts, ?),
                  last_seq = max(last_seq, ?),
                  unread = unread + CASE WHEN ? = 'visitor' AND ? > my_read_seq THEN 1 ELSE 0 END
                WHERE id = ?
                """, seq, preview, seq, fromRole, ts, seq, fromRole, seq, conv);
        long held = sql.queryLong("SELECT held_seq FROM conversations WHERE id = ?", conv);
        long next = held;
        while (hasSeq(conv, next + 1)) {
            next++;
        }
        if (next != held) {
            sql.update("UPDATE conversations SET held_seq = ? WHERE id = ?", next, conv);
        }
    }

    private static String preview(String kind, String body, String fileName) {
        if (body != null && !body.isBlank()) {
            return body;
        }
        return fileName != null ? "[" + kind + "] " + fileName : "[" + kind + "]";
    }

    private static Conversation conversationRow(ResultSet rs) throws SQLException {
        return new Conversation(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getLong(8), rs.getLong(9), rs.getLong(10), rs.getLong(11),
                rs.getLong(12), rs.getInt(13), rs.getString(14), rs.getString(15), rs.getLong(16), rs.getInt(17),
                rs.getString(18), ContactDetails.orNull(new ContactDetails(rs.getString(19), rs.getString(20),
                rs.getString(21), rs.getString(22))));
    }

    private static ChatMessage messageRow(ResultSet rs) throws SQLException {
        long seq = rs.getLong(3);
        String role = rs.getString(5);
        String state = rs.getString(12);
        long peerRead = rs.getLong(14);
        MessageState shown = switch (state) {
            case PENDING -> MessageState.PENDING;
            case FAILED -> MessageState.FAILED;
            default -> !Role.VISITOR.equals(role) && seq > 0 && seq <= peerRead ? MessageState.READ : MessageState.SENT;
        };
        return new ChatMessage(rs.getLong(1), rs.getString(2), seq, rs.getString(4), role, rs.getString(6),
                rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10), rs.getLong(11), shown,
                rs.getString(13), rs.getString(15), rs.getString(16), rs.getLong(17), rs.getLong(18) > 0, 0, 0);
    }

    private static ChatMessage noteRow(ResultSet rs) throws SQLException {
        String state = rs.getString(10);
        MessageState shown = switch (state) {
            case PENDING -> MessageState.PENDING;
            case FAILED -> MessageState.FAILED;
            default -> MessageState.SENT;
        };
        return new ChatMessage(rs.getLong(1), rs.getString(2), 0, rs.getString(4), Role.AGENT, rs.getString(5),
                rs.getString(6), MessageKind.NOTE, rs.getString(7), null, rs.getLong(9), shown, rs.getString(11),
                null, null, 0, false, rs.getLong(3), rs.getLong(8));
    }

    private static String json(Map<String, Object> attrs) {
        if (attrs == null) {
            return null;
        }
        try {
            return FrameCodec.mapper().writeValueAsString(attrs);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private static Map<String, Object> attrs(String json) {
        if (json == null) {
            return Map.of();
        }
        try {
            return FrameCodec.mapper().readValue(json, new TypeReference<LinkedHashMap<String, Object>>() { });
        } catch (JsonProcessingException e) {
            return Map.of();
        }
    }

    /** Ids of every cached conversation that is not closed. */
    public synchronized Set<String> liveConversationIds() {
        return new HashSet<>(sql.query("SELECT id FROM conversations WHERE status <> ?", rs -> rs.getString(1),
                ConvStatus.CLOSED));
    }
}

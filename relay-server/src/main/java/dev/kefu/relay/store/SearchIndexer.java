package dev.kefu.relay.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the full-text index a fraction of a second behind the messages, off their commits. A
 * full-text insert writes a new index segment for every transaction it is part of, and the store's
 * transactions are small while traffic is light: that segment, its pages and its share of the
 * merges were a fifth of the relay's CPU at 1,000 msg/s and half of the commit's latency. So a
 * message's transaction only lists the message in {@code search_backlog} (an append to a small
 * table), and every {@link #PERIOD_MS} the listed messages are indexed in one write, through the
 * same writer, and their rows deleted in the same transaction. Nothing is lost in a crash: what is
 * listed and not yet indexed is indexed after the next start. A search first asks for the backlog to
 * be indexed ({@link #indexNow}), so it finds a message as soon as the message was acked.
 */
final class SearchIndexer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SearchIndexer.class);
    static final long PERIOD_MS = 200;
    /** Most messages indexed per write: bounds that write's time after a long backlog (a crash). */
    static final int CHUNK = 5_000;

    private final GroupCommitWriter writer;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kefu-store-indexer");
        t.setDaemon(true);
        return t;
    });
    /** Something may be listed and not indexed: set by every listing (and at start, for what a crash left). */
    private volatile boolean backlog = true;

    SearchIndexer(GroupCommitWriter writer, long periodMs) {
        this.writer = writer;
        if (periodMs > 0) {
            timer.scheduleWithFixedDelay(this::tick, periodMs, periodMs, TimeUnit.MILLISECONDS);
        }
    }

    /** Lists a stored message for indexing, in the transaction that stores it (writer thread). */
    void list(Connection c, String conv, long seq) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO search_backlog (conv, seq) VALUES (?,?)")) {
            ps.setString(1, conv);
            ps.setLong(2, seq);
            ps.executeUpdate();
        }
        backlog = true;
    }

    /** Indexes everything listed so far; completes once it is committed (at once when nothing is listed). */
    CompletableFuture<Integer> indexNow() {
        if (!backlog) {
            return CompletableFuture.completedFuture(0);
        }
        backlog = false;
        return writer.submit(this::indexChunk).whenComplete((n, e) -> {
            if (e != null || n >= CHUNK) {
                backlog = true; // not done: the next call (or tick) goes on
            }
        }).thenCompose(n -> n >= CHUNK ? indexNow() : CompletableFuture.completedFuture(n));
    }

    private void tick() {
        try {
            indexNow(); // a failure (a full write queue) leaves the backlog for the next tick
        } catch (RuntimeException e) {
            backlog = true;
            log.debug("search indexing not queued: {}", e.toString());
        }
    }

    /** One write on the writer's connection: indexes up to {@link #CHUNK} listed messages and unlists them. */
    private int indexChunk(Connection c) throws SQLException {
        long upTo;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT max(rowid) FROM (SELECT rowid FROM search_backlog ORDER BY rowid LIMIT " + CHUNK + ")");
             ResultSet rs = ps.executeQuery()) {
            upTo = rs.next() ? rs.getLong(1) : 0;
            if (upTo == 0) {
                return 0;
            }
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO messages_fts (body, conv, seq) "
                + "SELECT m.body, m.conv, m.seq FROM search_backlog b JOIN messages m ON m.conv = b.conv AND m.seq = b.seq "
                + "WHERE b.rowid <= ? AND m.body IS NOT NULL ORDER BY b.rowid")) {
            ps.setLong(1, upTo);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM search_backlog WHERE rowid <= ?")) {
            ps.setLong(1, upTo);
            return ps.executeUpdate();
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}

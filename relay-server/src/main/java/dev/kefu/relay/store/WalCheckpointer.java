package dev.kefu.relay.store;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Copies the WAL back into the database file from a connection of its own, so the writer's
 * commits never pay for it. Left to SQLite, the commit that crosses 1,000 WAL pages runs the
 * checkpoint (a page copy and an fsync of the database file) before its writes are acked: about
 * 18 times a second at 5,000 messages/s. Here a {@code PASSIVE} checkpoint runs every
 * {@link #PERIOD_MS}; it never waits for the writer or for readers, and the writer restarts the
 * WAL from its start once everything in it is copied. The writer keeps a high automatic
 * checkpoint as a safety net should this thread fall far behind.
 */
final class WalCheckpointer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WalCheckpointer.class);
    static final long PERIOD_MS = 200;
    /** The writer's own automatic checkpoint, in pages: only reached if this thread falls behind. */
    static final int WRITER_AUTOCHECKPOINT_PAGES = 16_000;

    private final Connection conn;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kefu-store-checkpoint");
        t.setDaemon(true);
        return t;
    });
    private final Timer timer;

    WalCheckpointer(Connection conn, MeterRegistry meters) {
        this.conn = conn;
        this.timer = Timer.builder("kefu.store.checkpoint")
                .description("Time of WAL checkpoints that copied pages, off the writer's thread")
                .publishPercentiles(0.5, 0.99).register(meters);
        thread.scheduleWithFixedDelay(this::checkpoint, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
    }

    private void checkpoint() {
        long start = System.nanoTime();
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
            if (rs.next() && rs.getInt(3) > 0) {
                timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            }
        } catch (SQLException e) {
            log.warn("WAL checkpoint failed (the writer's own checkpoint still applies): {}", e.getMessage());
        }
    }

    /** Stops checkpointing and closes the connection; the database's close runs the last checkpoint. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            thread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            conn.close();
        } catch (SQLException e) {
            log.warn("closing the checkpoint connection failed: {}", e.getMessage());
        }
    }
}

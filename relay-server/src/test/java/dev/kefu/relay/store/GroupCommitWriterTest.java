package dev.kefu.relay.store;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The writer's backlog signal, which connections read to stop reading while the store catches up. */
class GroupCommitWriterTest {
    @TempDir
    Path dir;
    Connection conn;
    GroupCommitWriter writer;

    @BeforeEach
    void open() throws Exception {
        conn = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("w.db"));
        try (Statement s = conn.createStatement()) {
            s.execute("CREATE TABLE t (n INTEGER)");
        }
        writer = new GroupCommitWriter(conn, 4, 8, new SimpleMeterRegistry());
    }

    @AfterEach
    void close() throws Exception {
        writer.close();
        conn.close();
    }

    @Test
    void halfTheQueueTaken_isABacklog_clearedUnderAQuarter_andEveryBatchIsReported() throws Exception {
        LinkedBlockingQueue<Integer> batches = new LinkedBlockingQueue<>();
        writer.onBatch(() -> batches.add(1));
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocking = new CountDownLatch(1);
        // The first write holds the writer thread, so the ones after it stay queued.
        CompletableFuture<Integer> first = writer.submit(c -> {
            blocking.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return insert(c, 0);
        });
        assertThat(blocking.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(writer.isBacklogged()).isFalse();

        List<CompletableFuture<Integer>> queued = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            queued.add(writer.submit(c -> insert(c, 1)));
        }
        assertThat(writer.isBacklogged()).as("3 of 8 queued").isFalse();
        queued.add(writer.submit(c -> insert(c, 1)));
        assertThat(writer.isBacklogged()).as("4 of 8 queued: half").isTrue();
        assertThat(writer.isBacklogCleared()).isFalse();

        release.countDown();
        first.get(10, TimeUnit.SECONDS);
        for (CompletableFuture<Integer> f : queued) {
            f.get(10, TimeUnit.SECONDS);
        }
        assertThat(batches.poll(10, TimeUnit.SECONDS)).as("a batch reported").isNotNull();
        assertThat(writer.isBacklogged()).isFalse();
        assertThat(writer.isBacklogCleared()).isTrue();
    }

    private static int insert(Connection c, int n) throws java.sql.SQLException {
        try (Statement s = c.createStatement()) {
            return s.executeUpdate("INSERT INTO t VALUES (" + n + ")");
        }
    }
}

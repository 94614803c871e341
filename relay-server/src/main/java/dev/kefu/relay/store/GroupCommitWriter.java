package dev.kefu.relay.store;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one thread that writes to the database. Callers {@link #submit} operations; the thread takes
 * every operation waiting (up to {@code maxBatch}), runs them in one transaction (should one throw,
 * the batch is undone and run again with a savepoint per operation, so it spoils no other), commits
 * once, and only then completes their futures, in submission order, on a single dispatch thread. Hence an ack sent from a future's
 * callback always follows a durable commit, and callbacks see commits in order.
 */
public final class GroupCommitWriter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);

    /** Longest a batch that found company waits for more writes before it commits. */
    static final long GATHER_NANOS = TimeUnit.MICROSECONDS.toNanos(1000);
    /** A batch this big commits at once: the commit's fixed cost is shared well enough. */
    static final int GATHER_BELOW = 32;

    /** Longest {@link #stallUntil} holds the writer, so a test that fails cannot hang the relay's shutdown. */
    static final long STALL_LIMIT_SECONDS = 30;

    private final Connection conn;
    private final int maxBatch;
    private final int gatherBelow;
    private final BlockingQueue<Pending<?>> queue;
    private final Thread thread;
    private final ExecutorService dispatcher;
    private final Timer commitTimer;
    private final DistributionSummary batchSizes;
    private volatile boolean stopping;
    private final List<Runnable> rollbackListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<Runnable> batchListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<Runnable> dispatchListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile Thread dispatchThread;
    /** Queued writes at which {@link #isBacklogged} turns true, and at which it turns false again. */
    private final int backlogAt;
    private final int backlogClearAt;

    /**
     * @param maxBatch most operations per transaction
     * @param maxQueued most operations waiting; beyond that {@link #submit} fails at once with
     *                  {@link Overloaded} (clients get {@code server_busy} and retry)
     */
    public GroupCommitWriter(Connection conn, int maxBatch, int maxQueued, MeterRegistry meters) {
        this.conn = conn;
        this.maxBatch = maxBatch;
        this.gatherBelow = Math.min(GATHER_BELOW, maxBatch);
        this.queue = new LinkedBlockingQueue<>(maxQueued);
        this.backlogAt = Math.max(1, maxQueued / 2);
        this.backlogClearAt = backlogAt / 2;
        this.commitTimer = Timer.builder("kefu.store.commit")
                .description("Time to run and commit one batch of writes")
                .publishPercentiles(0.5, 0.99).publishPercentileHistogram(false).register(meters);
        this.batchSizes = DistributionSummary.builder("kefu.store.commit.batch.size")
                .description("Operations per committed transaction")
                .publishPercentiles(0.5, 0.99).register(meters);
        meters.gauge("kefu.store.queue", queue, BlockingQueue::size);
        this.dispatcher = Executors.newSingleThreadExecutor(r -> {
            Thread t = daemon(r, "kefu-store-dispatch");
            dispatchThread = t;
            return t;
        });
        this.thread = daemon(this::run, "kefu-store-writer");
        thread.start();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Queues {@code op}; the future completes after the transaction that ran it committed. */
    public <T> CompletableFuture<T> submit(WriteOp<T> op) {
        Pending<T> p = new Pending<>(op);
        if (stopping) {
            p.future.completeExceptionally(new Overloaded("the store is shutting down"));
        } else if (!queue.offer(p)) {
            p.future.completeExceptionally(new Overloaded("the store's write queue is full"));
        }
        return p.future;
    }

    /**
     * Runs {@code listener} on the writer thread whenever writes are undone (a batch rolled back, or
     * one write rolled back to its savepoint): state kept beside the database must be dropped then.
     */
    public void onRollback(Runnable listener) {
        rollbackListeners.add(listener);
    }

    private void rolledBack() {
        for (Runnable r : rollbackListeners) {
            try {
                r.run();
            } catch (RuntimeException e) {
                log.error("rollback listener failed", e);
            }
        }
    }

    /**
     * Whether half of the write queue is taken: more writes are arriving than the store commits.
     * Connections stop reading new frames meanwhile (see {@link #onBatch}), so the store's share of
     * the CPU goes to committing rather than to refusing what cannot be queued.
     */
    public boolean isBacklogged() {
        return queue.size() >= backlogAt;
    }

    /** Whether the queue is back under a quarter: paused readers may go on. */
    public boolean isBacklogCleared() {
        return queue.size() <= backlogClearAt;
    }

    /**
     * For tests of what the relay does meanwhile: leaves the queue backlogged, as a disk that stopped
     * answering would, until {@code release} completes (or {@link #STALL_LIMIT_SECONDS} pass). The
     * writer thread waits for it inside a write, and empty writes queue behind that one until
     * {@link #isBacklogged}; returns once it is. Everything queued commits after the release.
     */
    public void stallUntil(Future<?> release) throws InterruptedException {
        CountDownLatch stalled = new CountDownLatch(1);
        submit(c -> {
            stalled.countDown();
            try {
                release.get(STALL_LIMIT_SECONDS, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException | CancellationException e) {
                log.warn("stall ended without its release: {}", e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        if (!stalled.await(STALL_LIMIT_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the writer did not take the stalling write");
        }
        while (!isBacklogged()) {
            submit(c -> null);
        }
    }

    /** Runs {@code listener} on the writer thread after every batch (it must be quick and not block). */
    public void onBatch(Runnable listener) {
        batchListeners.add(listener);
    }

    /**
     * Runs {@code listener} on the dispatch thread once every future of a batch was completed (and
     * whatever their callbacks did on that thread is done): it must be quick and not block.
     */
    public void afterDispatch(Runnable listener) {
        dispatchListeners.add(listener);
    }

    /** Whether the caller is the thread that completes the futures (after which {@link #afterDispatch} runs). */
    public boolean onDispatchThread() {
        return Thread.currentThread() == dispatchThread;
    }

    private void dispatched() {
        for (Runnable r : dispatchListeners) {
            try {
                r.run();
            } catch (RuntimeException e) {
                log.error("dispatch listener failed", e);
            }
        }
    }

    /** Whether the writer thread is alive (for {@code /health}). */
    public boolean isAlive() {
        return thread.isAlive();
    }

    private void run() {
        List<Pending<?>> batch = new ArrayList<>(maxBatch);
        while (true) {
            try {
                Pending<?> first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (stopping) {
                        return;
                    }
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, maxBatch - 1);
                if (batch.size() > 1 && batch.size() < gatherBelow) {
                    gather(batch);
                }
                runBatch(batch);
                for (Runnable r : batchListeners) {
                    r.run();
                }
            } catch (InterruptedException e) {
                if (queue.isEmpty()) {
                    return;
                }
            } catch (RuntimeException e) {
                log.error("writer loop failed; batch failed, continuing", e);
                rolledBack();
                failAll(batch, e);
            } finally {
                batch.clear();
            }
        }
    }

    /**
     * Writes arrived while the last batch committed, so more are likely on their way: wait up to
     * {@link #GATHER_NANOS} for them. A commit costs a fixed ~0.2-0.3 ms (an fsync, and the pages
     * every write touches written once per commit, however many writes share them), so at a few
     * thousand writes a second batches of 2 cost twice the CPU per write of batches of 10. A lone
     * write (a quiet relay) never waits.
     */
    private void gather(List<Pending<?>> batch) {
        long deadline = System.nanoTime() + GATHER_NANOS;
        while (batch.size() < gatherBelow) {
            long left = deadline - System.nanoTime();
            Pending<?> more;
            try {
                more = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // commit what was taken; the loop stops after it
                return;
            }
            if (more == null) {
                return;
            }
            batch.add(more);
            queue.drainTo(batch, gatherBelow - batch.size());
        }
    }

    private void runBatch(List<Pending<?>> batch) {
        long start = System.nanoTime();
        try {
            conn.setAutoCommit(false);
            boolean failed = false;
            for (Pending<?> p : batch) {
                try {
                    p.run(conn);
                } catch (SQLException | RuntimeException e) {
                    failed = true;
                    break;
                }
            }
            if (failed) {
                // Rare: one write threw. Undo the batch and run it again, now with a savepoint per
                // write so the failing one spoils no other.
                conn.rollback();
                rolledBack();
                for (Pending<?> p : batch) {
                    p.error = null;
                    run("SAVEPOINT op");
                    try {
                        p.run(conn);
                        run("RELEASE op");
                    } catch (SQLException | RuntimeException e) {
                        run("ROLLBACK TO op");
                        run("RELEASE op");
                        rolledBack();
                        p.fail(e);
                    }
                }
            }
            conn.commit();
        } catch (SQLException e) {
            log.error("commit of {} writes failed; all refused", batch.size(), e);
            try {
                conn.rollback();
            } catch (SQLException re) {
                log.error("rollback failed", re);
            }
            rolledBack();
            failAll(batch, new StoreException("commit failed: " + e.getMessage(), e));
            return;
        } finally {
            try {
                conn.setAutoCommit(true);
            } catch (SQLException e) {
                log.error("cannot reset auto-commit", e);
            }
        }
        commitTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        batchSizes.record(batch.size());
        List<Pending<?>> done = List.copyOf(batch);
        dispatcher.execute(() -> {
            done.forEach(Pending::complete);
            dispatched();
        });
    }

    private void run(String sql) throws SQLException {
        try (java.sql.PreparedStatement ps = conn.prepareStatement(sql)) {
            ps.execute();
        }
    }

    private void failAll(List<Pending<?>> batch, Throwable e) {
        List<Pending<?>> failed = List.copyOf(batch);
        dispatcher.execute(() -> {
            failed.forEach(p -> p.future.completeExceptionally(e));
            dispatched();
        });
    }

    /** Stops taking new writes, commits every write already queued, then stops. */
    @Override
    public void close() {
        stopping = true;
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        dispatcher.shutdown();
        try {
            dispatcher.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One write, run on the writer thread inside the batch's transaction. */
    @FunctionalInterface
    public interface WriteOp<T> {
        T run(Connection c) throws SQLException;
    }

    /** The write queue is full or closed: the caller should answer {@code server_busy}. */
    public static final class Overloaded extends StoreException {
        public Overloaded(String message) {
            super(message);
        }

        /** No stack: an overloaded relay refuses thousands a second, and where is always submit(). */
        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    private static final class Pending<T> {
        final WriteOp<T> op;
        final CompletableFuture<T> future = new CompletableFuture<>();
        T result;
        Throwable error;

        Pending(WriteOp<T> op) {
            this.op = op;
        }

        void run(Connection c) throws SQLException {
            result = op.run(c);
        }

        void fail(Throwable e) {
            error = e;
        }

        void complete() {
            if (error != null) {
                future.completeExceptionally(error);
            } else {
                future.complete(result);
            }
        }
    }
}

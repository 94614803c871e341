package dev.kefu.relay.conversation;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs tasks one at a time, in submission order, on a shared pool: a session's state is touched by
 * one thread at a time without locks, and no session holds a thread while it has nothing to do.
 * After each turn (the tasks run in one go on a pool thread) it runs {@code afterTurn}: a session
 * flushes there the frames its tasks queued, one write for all of them.
 */
final class SerialExecutor implements Executor {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SerialExecutor.class);
    private final Executor pool;
    private final Runnable afterTurn;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicInteger pending = new AtomicInteger();

    SerialExecutor(Executor pool) {
        this(pool, () -> { });
    }

    SerialExecutor(Executor pool, Runnable afterTurn) {
        this.pool = pool;
        this.afterTurn = afterTurn;
    }

    @Override
    public void execute(Runnable task) {
        pending.incrementAndGet();
        tasks.add(task);
        schedule();
    }

    /**
     * Runs {@code task} on the calling thread, now, if nothing is queued or running here, and says
     * so; otherwise runs nothing and returns false (the caller then {@link #execute}s it). The turn
     * has no {@code afterTurn}: the caller flushes. Tasks queued meanwhile run on the pool after it.
     * A task that throws is logged, not thrown: the caller is serving other sessions too.
     */
    boolean runHereIfIdle(Runnable task) {
        if (!tasks.isEmpty() || !scheduled.compareAndSet(false, true)) {
            return false;
        }
        if (!tasks.isEmpty()) { // queued between the two checks: it goes first, on the pool
            scheduled.set(false);
            schedule();
            return false;
        }
        pending.incrementAndGet();
        try {
            task.run();
        } catch (RuntimeException e) {
            log.error("session task failed", e);
        } finally {
            pending.decrementAndGet();
            scheduled.set(false);
            scheduleUnlessStopping();
        }
        return true;
    }

    /** Tasks queued or running. */
    int pending() {
        return pending.get();
    }

    private void schedule() {
        if (!tasks.isEmpty() && scheduled.compareAndSet(false, true)) {
            try {
                pool.execute(this::drain);
            } catch (RejectedExecutionException e) {
                scheduled.set(false); // the pool is shutting down: let the caller see it, not hang
                throw e;
            }
        }
    }

    private void drain() {
        try {
            // Bounded turns keep one busy session from starving the others on the pool.
            for (int i = 0; i < 64; i++) {
                Runnable task = tasks.poll();
                if (task == null) {
                    break;
                }
                try {
                    task.run();
                } finally {
                    pending.decrementAndGet();
                }
            }
        } finally {
            try {
                afterTurn.run();
            } finally {
                scheduled.set(false);
                scheduleUnlessStopping();
            }
        }
    }

    /**
     * {@link #schedule} for a thread that serves other sessions too (a pool thread ending its turn,
     * the store's dispatch thread): once the pool is shutting down, the tasks left here go with it,
     * and the refusal must not escape into that thread.
     */
    private void scheduleUnlessStopping() {
        try {
            schedule();
        } catch (RejectedExecutionException stopping) {
            log.debug("{} session task(s) left as the relay stops", tasks.size());
        }
    }
}

package dev.kefu.relay.conversation;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** One task at a time, in order; the store's dispatch thread may run a task itself only when nothing else would. */
class SerialExecutorTest {
    final ExecutorService pool = Executors.newFixedThreadPool(2);
    final AtomicInteger turns = new AtomicInteger();
    final SerialExecutor serial = new SerialExecutor(pool, turns::incrementAndGet);

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void anIdleExecutor_runsTheTaskOnTheCallingThread_withoutATurn() {
        List<Thread> ranOn = new CopyOnWriteArrayList<>();
        assertThat(serial.runHereIfIdle(() -> ranOn.add(Thread.currentThread()))).isTrue();
        assertThat(ranOn).containsExactly(Thread.currentThread());
        assertThat(turns.get()).as("the caller flushes, not afterTurn").isZero();
        assertThat(serial.pending()).isZero();
    }

    @Test
    void aBusyExecutor_refuses_andTheTaskQueuedInsteadRunsInOrder() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        LinkedBlockingQueue<String> order = new LinkedBlockingQueue<>();
        serial.execute(() -> {
            running.countDown();
            await(release);
            order.add("first");
        });
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        serial.execute(() -> order.add("second"));

        Runnable third = () -> order.add("third");
        assertThat(serial.runHereIfIdle(third)).as("a task is running").isFalse();
        serial.execute(third);
        release.countDown();

        assertThat(List.of(poll(order), poll(order), poll(order))).containsExactly("first", "second", "third");
    }

    @Test
    void tasksQueuedWhileRunningHere_runAfterIt_onThePool() throws Exception {
        LinkedBlockingQueue<String> order = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<Thread> laterOn = new LinkedBlockingQueue<>();
        boolean ran = serial.runHereIfIdle(() -> {
            // Another thread hands this session a frame while the dispatch thread delivers to it.
            serial.execute(() -> {
                order.add("later");
                laterOn.add(Thread.currentThread());
            });
            assertThat(serial.runHereIfIdle(() -> order.add("nested"))).as("not while running").isFalse();
            order.add("here");
        });
        assertThat(ran).isTrue();
        assertThat(List.of(poll(order), poll(order))).containsExactly("here", "later");
        assertThat(laterOn.poll(10, TimeUnit.SECONDS)).isNotEqualTo(Thread.currentThread());
        assertThat(order).isEmpty();
    }

    @Test
    void aTaskThatThrowsHere_isLogged_andTheExecutorStaysUsable() throws Exception {
        assertThat(serial.runHereIfIdle(() -> {
            throw new IllegalStateException("boom");
        })).isTrue();
        LinkedBlockingQueue<String> order = new LinkedBlockingQueue<>();
        assertThat(serial.runHereIfIdle(() -> order.add("after"))).isTrue();
        assertThat(order.poll()).isEqualTo("after");
        assertThat(serial.pending()).isZero();
    }

    private static String poll(LinkedBlockingQueue<String> q) throws InterruptedException {
        String s = q.poll(10, TimeUnit.SECONDS);
        assertThat(s).as("a task ran within 10 s").isNotNull();
        return s;
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aPoolShuttingDownAsATurnEnds_refusesNothingIntoThatThread() throws Exception {
        List<Throwable> escaped = new CopyOnWriteArrayList<>();
        ExecutorService stopping = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "stopping-pool");
            t.setUncaughtExceptionHandler((thread, e) -> escaped.add(e));
            return t;
        });
        java.util.concurrent.atomic.AtomicReference<SerialExecutor> session = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
        session.set(new SerialExecutor(stopping, () -> {
            if (once.compareAndSet(false, true)) {
                session.get().execute(() -> { }); // a frame queued as the turn ends...
                stopping.shutdown();              // ...and the relay stops
            }
        }));
        session.get().execute(() -> { });
        assertThat(stopping.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        assertThat(escaped).as("exceptions thrown out of the pool's thread").isEmpty();
    }
}

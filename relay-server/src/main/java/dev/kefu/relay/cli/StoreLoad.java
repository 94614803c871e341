package dev.kefu.relay.cli;

import dev.kefu.protocol.MessageKind;
import dev.kefu.protocol.Role;
import dev.kefu.relay.store.AppendResult;
import dev.kefu.relay.store.GroupCommitWriter;
import dev.kefu.relay.store.NewMessage;
import dev.kefu.relay.store.Sender;
import dev.kefu.relay.store.SqliteDatabase;
import dev.kefu.relay.store.SqliteMessageStore;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * One phase of {@code bench store}: a fresh database, appends through the real
 * {@link SqliteMessageStore}, every answer counted, ack latency in an HdrHistogram, commit time and
 * batch size from the writer's own meters.
 *
 * <p>Open loop issues at a fixed rate whatever the store does and times each message from when it
 * was due, not from when it went out, so a stalled store shows up as latency instead of slowing the
 * sender down and hiding itself (coordinated omission). Closed loop keeps a fixed number of appends
 * in flight, to find the ceiling; its latency is service time only.
 */
final class StoreLoad {
    /** Writes waiting before the store answers busy: the value {@code serve} uses. */
    static final int WRITE_QUEUE = 100_000;
    /** Longest wait for the last answers after issuing stops; what is still out then is reported unanswered. */
    private static final Duration DRAIN_LIMIT = Duration.ofSeconds(30);
    /** An issuer this far behind schedule means the machine cannot even offer the rate: stop issuing. */
    private static final long ISSUER_GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final String SITE = "bench";
    /** As {@link GroupCommitWriter} names its thread. */
    private static final String WRITER_THREAD = "kefu-store-writer";
    private static final double[] PERCENTILES = {0.5, 0.9, 0.99, 0.999};

    /** {@code writeBatch}: most appends per transaction, as {@code serve --write-batch}. */
    record Settings(int senders, int warmupSeconds, int seconds, int writeBatch) {}

    /** Values in ms for latencies, in messages for batch sizes. */
    record Distribution(double p50, double p90, double p99, double p999, double max, double mean) {}

    /** Acks that arrived during one second of the measured window, and the slowest of them. */
    record Second(int second, long acked, double worstAckMs) {}

    /**
     * {@code offeredPerSecond} is null in closed loop, {@code inFlight} null in open loop.
     * {@code issued = acked + refused + failed + unanswered}; refused means the store answered busy
     * (its write queue was full), failed means any other error. {@code stored} counts the rows in the
     * database afterwards; it equals {@code acked} when every ack was for exactly one stored message.
     * Counts cover warmup too; latencies, commit meters, {@code achievedPerSecond} and the writer's
     * CPU only the measured window. {@code writerCpuPercent} is the store writer thread's CPU time
     * over wall time (100 = one core, all the time: the writer, not the disk, is the limit), and
     * {@code writerCpuMicrosPerMessage} that CPU time per message acked; both are -1 when the JVM
     * cannot measure thread CPU time.
     */
    record PhaseResult(String mode, Double offeredPerSecond, Integer inFlight, double achievedPerSecond,
                       long issued, long acked, long refused, long failed, long unanswered, long stored,
                       long duplicates, Distribution ackMs, Distribution commitMs, long commits,
                       Distribution batchSize, double writerCpuPercent, double writerCpuMicrosPerMessage,
                       List<Second> timeline, String firstError) {

        boolean allAnsweredOnce() {
            return failed == 0 && unanswered == 0 && duplicates == 0 && stored == acked;
        }
    }

    private final Settings settings;
    private final SqliteDatabase db;
    private final SqliteMessageStore store;
    /** The store registers its meters here; {@link #measuredMeters} joins when warmup ends. */
    private final CompositeMeterRegistry meters = new CompositeMeterRegistry();
    private final SimpleMeterRegistry measuredMeters = fullPrecisionRegistry();
    private boolean measuring;
    private final List<Sender> senders = new ArrayList<>();

    private final Histogram ackMicros = new ConcurrentHistogram(3);
    private final LongAdder issued = new LongAdder();
    private final LongAdder acked = new LongAdder();
    private final LongAdder ackedInWindow = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final Semaphore answers = new Semaphore(0);
    private final AtomicReference<String> firstError = new AtomicReference<>();
    private final AtomicLongArray ackedPerSecond;
    private final AtomicLongArray worstAckMicrosPerSecond;
    /** System.nanoTime() bounds of the measured window; set before the first append. */
    private volatile long windowStart;
    private volatile long windowEnd;
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final long writerThreadId;
    private long writerCpuNanosAtStart = -1;
    private long writerCpuNanosAtEnd = -1;
    private long measuredFromNanos;
    private long measuredToNanos;

    private StoreLoad(Path folder, Settings settings) {
        this.settings = settings;
        this.db = SqliteDatabase.open(folder);
        Set<Long> threadsBefore = Thread.getAllStackTraces().keySet().stream().map(Thread::getId).collect(Collectors.toSet());
        this.store = new SqliteMessageStore(db, settings.writeBatch(), WRITE_QUEUE, meters);
        // Other stores may run in this JVM (tests): ours is the writer thread that was not there before.
        this.writerThreadId = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(WRITER_THREAD) && !threadsBefore.contains(t.getId()))
                .mapToLong(Thread::getId).findFirst().orElse(-1);
        for (int i = 0; i < settings.senders(); i++) {
            senders.add(new Sender(Role.VISITOR, "bench-visitor-" + i, "访客 " + i, SITE));
        }
        ackedPerSecond = new AtomicLongArray(settings.seconds());
        worstAckMicrosPerSecond = new AtomicLongArray(settings.seconds());
    }

    /** Offers {@code perSecond} appends a second, spread round-robin over the senders. */
    static PhaseResult openLoop(Path folder, double perSecond, Settings settings) throws InterruptedException {
        StoreLoad load = new StoreLoad(folder, settings);
        load.issueAtRate(perSecond);
        load.stopMeasuring();
        return load.finish("open loop", perSecond, null);
    }

    /** Keeps {@code inFlight} appends outstanding, issuing the next as soon as one is answered. */
    static PhaseResult closedLoop(Path folder, int inFlight, Settings settings) throws InterruptedException {
        StoreLoad load = new StoreLoad(folder, settings);
        load.issueKeepingInFlight(inFlight);
        load.stopMeasuring();
        return load.finish("closed loop", null, inFlight);
    }

    private void issueAtRate(double perSecond) {
        long start = startClock();
        long total = Math.round(perSecond * (settings.warmupSeconds() + settings.seconds()));
        double nanosApart = 1e9 / perSecond;
        for (long n = 0; n < total; n++) {
            long due = start + (long) (n * nanosApart);
            long early;
            while ((early = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(early);
            }
            if (-early > ISSUER_GIVE_UP_NANOS) {
                System.err.printf("bench: the issuing thread fell %d s behind schedule; stopping this phase early%n",
                        TimeUnit.NANOSECONDS.toSeconds(-early));
                return;
            }
            startMeasuringOnceDue(due);
            issue(n, due);
        }
    }

    private void issueKeepingInFlight(int inFlight) throws InterruptedException {
        Semaphore slots = new Semaphore(inFlight);
        startClock();
        long n = 0;
        long now;
        while ((now = System.nanoTime()) < windowEnd) {
            if (!slots.tryAcquire(DRAIN_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
                System.err.println("bench: no append answered for " + DRAIN_LIMIT.toSeconds() + " s; stopping this phase");
                return;
            }
            now = System.nanoTime();
            startMeasuringOnceDue(now);
            issue(n++, now).whenComplete((r, e) -> slots.release());
        }
    }

    private long startClock() {
        long start = System.nanoTime();
        windowStart = start + TimeUnit.SECONDS.toNanos(settings.warmupSeconds());
        windowEnd = windowStart + TimeUnit.SECONDS.toNanos(settings.seconds());
        return start;
    }

    /** Commits during warmup stay out of the reported meters: their registry joins only now. */
    private void startMeasuringOnceDue(long now) {
        if (!measuring && now >= windowStart) {
            meters.add(measuredMeters);
            measuring = true;
            measuredFromNanos = System.nanoTime();
            writerCpuNanosAtStart = writerCpuNanos();
        }
    }

    private void stopMeasuring() {
        measuredToNanos = System.nanoTime();
        writerCpuNanosAtEnd = writerCpuNanos();
    }

    private long writerCpuNanos() {
        return writerThreadId >= 0 && threads.isThreadCpuTimeSupported() ? threads.getThreadCpuTime(writerThreadId) : -1;
    }

    private CompletableFuture<AppendResult> issue(long n, long dueNanos) {
        Sender from = senders.get((int) (n % senders.size()));
        NewMessage message = new NewMessage(from, null, "bench-" + n, MessageKind.TEXT, body(n), null);
        issued.increment();
        CompletableFuture<AppendResult> answer = store.append(message, conv -> true);
        answer.whenComplete((result, error) -> onAnswer(dueNanos, result, error));
        return answer;
    }

    /** About 60 characters, mixed scripts and an emoji (4 bytes in UTF-8), like real chat. */
    private static String body(long n) {
        return "您好，请问订单 " + (100_000 + n % 900_000) + " 什么时候发货？下午要用 🙂 Is it shipped yet? Thanks!";
    }

    private void onAnswer(long dueNanos, AppendResult result, Throwable error) {
        long now = System.nanoTime();
        if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause instanceof GroupCommitWriter.Overloaded) {
                refused.increment();
            } else {
                failed.increment();
                firstError.compareAndSet(null, cause.toString());
            }
        } else if (result.isRefused()) {
            failed.increment();
            firstError.compareAndSet(null, result.refusal() + ": " + result.detail());
        } else {
            acked.increment();
            if (result.duplicate()) {
                duplicates.increment();
            }
            long micros = Math.max(0, (now - dueNanos) / 1_000);
            if (dueNanos >= windowStart) {
                ackMicros.recordValue(micros);
            }
            if (now >= windowStart && now < windowEnd) {
                ackedInWindow.increment();
                int second = (int) TimeUnit.NANOSECONDS.toSeconds(now - windowStart);
                ackedPerSecond.incrementAndGet(second);
                worstAckMicrosPerSecond.accumulateAndGet(second, micros, Math::max);
            }
        }
        answers.release();
    }

    private PhaseResult finish(String mode, Double offeredPerSecond, Integer inFlight) throws InterruptedException {
        long issuedCount = issued.sum();
        boolean drained = answers.tryAcquire((int) issuedCount, DRAIN_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        if (!drained) {
            System.err.println("bench: some appends were still unanswered " + DRAIN_LIMIT.toSeconds()
                    + " s after issuing stopped");
        }
        long ackedCount = acked.sum();
        long refusedCount = refused.sum();
        long failedCount = failed.sum();
        long stored = db.read(c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM messages")) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
        store.close();

        var commit = measuredMeters.find("kefu.store.commit").timer();
        var batch = measuredMeters.find("kefu.store.commit.batch.size").summary();
        List<Second> timeline = new ArrayList<>();
        for (int s = 0; s < ackedPerSecond.length(); s++) {
            timeline.add(new Second(s, ackedPerSecond.get(s), worstAckMicrosPerSecond.get(s) / 1000.0));
        }
        return new PhaseResult(mode, offeredPerSecond, inFlight,
                ackedInWindow.sum() / (double) settings.seconds(),
                issuedCount, ackedCount, refusedCount, failedCount,
                issuedCount - ackedCount - refusedCount - failedCount, stored, duplicates.sum(),
                ackLatency(),
                commit == null ? null : distribution(commit.takeSnapshot(), v -> v.value(TimeUnit.MILLISECONDS),
                        commit.mean(TimeUnit.MILLISECONDS), commit.max(TimeUnit.MILLISECONDS)),
                commit == null ? 0 : commit.count(),
                batch == null ? null : distribution(batch.takeSnapshot(), ValueAtPercentile::value, batch.mean(), batch.max()),
                writerCpuPercent(), writerCpuMicrosPerMessage(), timeline, firstError.get());
    }

    private long writerCpuNanosMeasured() {
        return writerCpuNanosAtStart < 0 || writerCpuNanosAtEnd < 0 ? -1 : writerCpuNanosAtEnd - writerCpuNanosAtStart;
    }

    private double writerCpuPercent() {
        long cpu = writerCpuNanosMeasured();
        return cpu < 0 ? -1 : 100.0 * cpu / Math.max(1, measuredToNanos - measuredFromNanos);
    }

    private double writerCpuMicrosPerMessage() {
        long cpu = writerCpuNanosMeasured();
        return cpu < 0 ? -1 : cpu / 1000.0 / Math.max(1, ackedInWindow.sum());
    }

    private Distribution ackLatency() {
        double toMs = 1000.0;
        return new Distribution(ackMicros.getValueAtPercentile(50) / toMs, ackMicros.getValueAtPercentile(90) / toMs,
                ackMicros.getValueAtPercentile(99) / toMs, ackMicros.getValueAtPercentile(99.9) / toMs,
                ackMicros.getMaxValue() / toMs, ackMicros.getMean() / toMs);
    }

    private static Distribution distribution(HistogramSnapshot snapshot, ToDoubleFunction<ValueAtPercentile> value,
                                             double mean, double max) {
        double[] at = new double[PERCENTILES.length];
        for (ValueAtPercentile v : snapshot.percentileValues()) {
            for (int i = 0; i < PERCENTILES.length; i++) {
                if (Math.abs(v.percentile() - PERCENTILES[i]) < 1e-9) {
                    // Micrometer interpolates between buckets and can land a hair above the true max.
                    at[i] = Math.min(value.applyAsDouble(v), max);
                }
            }
        }
        return new Distribution(at[0], at[1], at[2], at[3], max, mean);
    }

    /**
     * The writer publishes only p50 and p99 at Micrometer's default precision (about 10 %) over a
     * rotating window; for a report we want more percentiles, 3 digits, and one window covering the
     * whole phase.
     */
    private static SimpleMeterRegistry fullPrecisionRegistry() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                return DistributionStatisticConfig.builder()
                        .percentiles(PERCENTILES).percentilePrecision(3)
                        .expiry(Duration.ofDays(1)).bufferLength(1)
                        .build().merge(config);
            }
        });
        return registry;
    }
}

package dev.kefu.loadtest.books;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.concurrent.TimeUnit;

/**
 * One latency, recorded in microseconds from any thread (wait-free) and read per interval by the
 * single meter thread: each {@link #interval()} flips the recorder, adds the interval to the whole
 * run and to the window opened by the last {@link #mark()} (a measured phase, a step of step-up).
 */
public final class Latency {
    /** Longest value kept: one hour in microseconds; beyond it values are clamped. */
    private static final long HIGHEST_MICROS = TimeUnit.HOURS.toMicros(1);

    private final String name;
    private final Recorder recorder = new Recorder(HIGHEST_MICROS, 3);
    private final Histogram run = new Histogram(HIGHEST_MICROS, 3);
    private final Histogram window = new Histogram(HIGHEST_MICROS, 3);
    private Histogram recycled;

    public Latency(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Records a duration in nanoseconds (negative counts as zero). */
    public void recordNanos(long nanos) {
        recorder.recordValue(Math.min(HIGHEST_MICROS, Math.max(0, nanos / 1_000)));
    }

    /** What was recorded since the previous call; also added to the run and the window. */
    public synchronized Histogram interval() {
        Histogram h = recorder.getIntervalHistogram(recycled);
        run.add(h);
        window.add(h);
        recycled = h;
        return h.copy();
    }

    /** Starts a new window (after folding in what was recorded so far). */
    public synchronized void mark() {
        interval();
        window.reset();
    }

    /** The window so far (what was recorded up to now included). */
    public synchronized Histogram window() {
        interval();
        return window.copy();
    }

    /** The whole run so far. */
    public synchronized Histogram run() {
        interval();
        return run.copy();
    }

    /** p50/p90/p99/p99.9/max/mean of {@code h}, in milliseconds. */
    public static Summary summary(Histogram h) {
        if (h.getTotalCount() == 0) {
            return new Summary(0, 0, 0, 0, 0, 0, 0);
        }
        return new Summary(h.getTotalCount(), ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(90)),
                ms(h.getValueAtPercentile(99)), ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()),
                h.getMean() / 1000.0);
    }

    private static double ms(long micros) {
        return micros / 1000.0;
    }

    /** Latency percentiles in milliseconds over {@code count} samples. */
    public record Summary(long count, double p50, double p90, double p99, double p999, double max, double mean) {}
}

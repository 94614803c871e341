package dev.kefu.loadtest.relay;

import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;

import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Reads the relay's health from the outside: its Prometheus {@code /metrics} (heap, GC, connections,
 * messages stored) and, when its PID is known, {@code /proc} (resident memory, CPU time, threads,
 * open files). Each {@link #sample()} also gives CPU use since the previous one.
 */
public final class RelayProbe {
    private final HttpClient http;
    private final URI metrics;
    private final LongSupplier pid;
    private long lastCpuNanos = -1;
    private long lastWallNanos;
    private long lastCpuPid = -1;

    /** {@code pid} returns -1 when unknown (then only {@code /metrics} is read). */
    public RelayProbe(HttpClient http, URI relay, LongSupplier pid) {
        this.http = http;
        this.metrics = relay.resolve("/metrics");
        this.pid = pid;
    }

    public long pid() {
        return pid.getAsLong();
    }

    /** One reading; fields are -1 when unavailable (relay down, PID unknown). */
    public synchronized Sample sample() {
        double heap = -1;
        double nonHeap = -1;
        double cpuUsage = -1;
        double connections = -1;
        double stored = -1;
        double gcPauseSeconds = -1;
        double gcPauses = -1;
        double commitP99 = -1;
        double commitMax = -1;
        double storeQueue = -1;
        try {
            ContentResponse r = http.newRequest(metrics).timeout(5, TimeUnit.SECONDS).send();
            if (r.getStatus() == 200) {
                heap = 0;
                nonHeap = 0;
                gcPauseSeconds = 0;
                gcPauses = 0;
                for (String line : r.getContentAsString().split("\n")) {
                    if (line.startsWith("#") || line.isBlank()) {
                        continue;
                    }
                    double v = value(line);
                    if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")
                            || line.startsWith("nodejs_heap_size_used_bytes")) {
                        heap += v;
                    } else if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"nonheap\"")) {
                        nonHeap += v;
                    } else if (line.startsWith("process_cpu_usage")) {
                        cpuUsage = v;
                    } else if (line.startsWith("kefu_connections ") || line.startsWith("kefu_connections{")) {
                        connections = v;
                    } else if (line.startsWith("kefu_messages_stored_total")) {
                        stored = v;
                    } else if (line.startsWith("kefu_store_commit_seconds{") && line.contains("quantile=\"0.99\"")) {
                        commitP99 = v * 1000;
                    } else if (line.startsWith("kefu_store_commit_seconds_max")) {
                        commitMax = v * 1000;
                    } else if (line.startsWith("kefu_store_queue")) {
                        storeQueue = v;
                    } else if (line.startsWith("jvm_gc_pause_seconds_sum")) {
                        gcPauseSeconds += v;
                    } else if (line.startsWith("jvm_gc_pause_seconds_count")) {
                        gcPauses += v;
                    }
                }
            }
        } catch (Exception e) {
            // relay down or busy: -1s
        }
        long p = pid.getAsLong();
        long rss = p > 0 ? ProcessStats.rssBytes(p) : -1;
        long threads = p > 0 ? ProcessStats.threads(p) : -1;
        long cpu = p > 0 ? ProcessStats.cpuNanos(p) : -1;
        long now = System.nanoTime();
        double cpuCores = -1;
        if (cpu >= 0 && lastCpuNanos >= 0 && p == lastCpuPid && now > lastWallNanos) {
            cpuCores = (cpu - lastCpuNanos) / (double) (now - lastWallNanos);
        }
        lastCpuNanos = cpu;
        lastWallNanos = now;
        lastCpuPid = p;
        return new Sample(System.currentTimeMillis(), now, p, (long) heap, (long) nonHeap, rss, cpu, cpuCores, cpuUsage,
                (long) connections, (long) stored, gcPauses < 0 ? -1 : (long) gcPauses, gcPauseSeconds, threads,
                commitP99, commitMax, (long) storeQueue);
    }

    /** Asks the relay JVM for a full GC ({@code jcmd PID GC.run}) so heap readings hold live data only. */
    public boolean collectGarbage() {
        long p = pid.getAsLong();
        if (p <= 0 || !isJava(p)) {
            return false; // jcmd attaches with SIGQUIT, which ends a process that is not a JVM
        }
        try {
            Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
            Process proc = new ProcessBuilder(jcmd.toString(), Long.toString(p), "GC.run")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return proc.waitFor(60, TimeUnit.SECONDS) && proc.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    private static boolean isJava(long pid) {
        try {
            String cmdline = java.nio.file.Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"));
            return cmdline.split("\u0000", 2)[0].endsWith("java");
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    private static double value(String line) {
        int space = line.lastIndexOf(' ');
        try {
            return Double.parseDouble(line.substring(space + 1));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * @param heapUsed  bytes of heap in use (live and garbage) per /metrics
     * @param rss       resident set size in bytes per /proc
     * @param cpuNanos  CPU time the process used so far (user + system), -1 unknown
     * @param cpuCores  CPU used since the previous sample, in cores (1.0 = one core busy); -1 unknown
     * @param cpuUsage  the relay's own recent CPU figure (0..1 of the machine) per /metrics
     * @param commitP99Ms  the store's commit time p99 over its recent window (ms), per /metrics
     * @param commitMaxMs  the store's longest recent commit (ms)
     * @param storeQueue   writes waiting for the store's writer thread
     */
    public record Sample(long atMillis, long atNanos, long pid, long heapUsed, long nonHeapUsed, long rss,
                         long cpuNanos, double cpuCores, double cpuUsage, long connections, long stored,
                         long gcPauses, double gcPauseSeconds, long threads, double commitP99Ms,
                         double commitMaxMs, long storeQueue) {

        /** Cores used on average between {@code earlier} and this sample; -1 if unknown or the relay restarted. */
        public double coresSince(Sample earlier) {
            if (cpuNanos < 0 || earlier.cpuNanos < 0 || pid != earlier.pid || atNanos <= earlier.atNanos) {
                return -1;
            }
            return (cpuNanos - earlier.cpuNanos) / (double) (atNanos - earlier.atNanos);
        }
    }
}

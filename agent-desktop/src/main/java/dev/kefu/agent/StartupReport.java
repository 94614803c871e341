package dev.kefu.agent;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * With {@code --startup-report}: one line per milestone on standard output, measured from the JVM's
 * start, and the heap in use after a full GC once the main window has its data. Read by the
 * benchmark harness ({@code StartupBenchmark}).
 */
final class StartupReport {
    private StartupReport() {}

    static long sinceJvmStartMs() {
        return System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
    }

    static void milestone(String what) {
        System.out.println("kefu-agent startup: " + what + " " + sinceJvmStartMs() + " ms");
        System.out.flush();
    }

    /** Heap in use after {@code System.gc()}, in KiB. */
    static long heapAfterGcKib() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed() / 1024;
    }

    static void heap(String what) {
        long kib = heapAfterGcKib();
        System.out.println("kefu-agent heap: " + what + " " + kib + " KiB after GC");
        System.out.flush();
    }
}

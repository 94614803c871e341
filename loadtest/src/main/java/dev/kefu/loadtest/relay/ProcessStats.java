package dev.kefu.loadtest.relay;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * Linux {@code /proc} readings of one process: resident memory, CPU time, threads, open files; and
 * finding the process that listens on a TCP port (so an external relay's PID need not be given).
 */
public final class ProcessStats {
    private static final long CLOCK_TICKS = 100; // USER_HZ on Linux

    private ProcessStats() {}

    /** VmRSS in bytes, or -1. */
    public static long rssBytes(long pid) {
        return statusField(pid, "VmRSS:") * 1024;
    }

    public static long threads(long pid) {
        return statusField(pid, "Threads:");
    }

    /** utime + stime in nanoseconds, or -1. */
    public static long cpuNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return ticks * (1_000_000_000L / CLOCK_TICKS);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    public static long openFiles(long pid) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            long n = 0;
            for (Path ignored : fds) {
                n++;
            }
            return n;
        } catch (IOException e) {
            return -1;
        }
    }

    private static long statusField(long pid, String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not on Linux, or the process is gone
        }
        return -1;
    }

    /**
     * Linux pressure stall information for the CPU: the share of the last 10 s (0..100) in which some
     * runnable task waited for a CPU. Near 100 means the machine is oversubscribed and every latency
     * measured on it includes waiting for a core. -1 if unavailable.
     */
    public static double cpuPressure10s() {
        try {
            String some = Files.readAllLines(Path.of("/proc/pressure/cpu")).get(0);
            int i = some.indexOf("avg10=");
            return Double.parseDouble(some.substring(i + 6, some.indexOf(' ', i)));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The process listening on TCP {@code port} (any address), if this user may see it. */
    public static OptionalLong listenerOf(int port) {
        String inode = null;
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 9 && f[1].contains(":") && "0A".equals(f[3])
                            && Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16) == port) {
                        inode = f[9];
                    }
                }
            } catch (IOException | RuntimeException e) {
                // no such table
            }
        }
        if (inode == null) {
            return OptionalLong.empty();
        }
        String target = "socket:[" + inode + "]";
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : procs) {
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
                    for (Path fd : fds) {
                        try {
                            if (target.equals(Files.readSymbolicLink(fd).toString())) {
                                return OptionalLong.of(Long.parseLong(proc.getFileName().toString()));
                            }
                        } catch (IOException e) {
                            // closed meanwhile
                        }
                    }
                } catch (IOException | SecurityException e) {
                    // not ours to look at
                }
            }
        } catch (IOException e) {
            // no /proc
        }
        return OptionalLong.empty();
    }
}

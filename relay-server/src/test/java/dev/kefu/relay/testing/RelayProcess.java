package dev.kefu.relay.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The relay in a child JVM ({@code RelayCli} with the test's own class path), so that a test can
 * kill it for real and start it again on the same data folder. The child's standard output is read
 * on a daemon thread (the ready line gives the port); its standard error, the relay's log, is
 * appended to a file kept for debugging. Inherited {@code KEFU_*} variables are removed so only
 * what the test passes reaches the child.
 */
public final class RelayProcess implements AutoCloseable {
    public static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    /** Exit status of a process ended by SIGKILL on Linux (128 + 9). */
    public static final int SIGKILL_EXIT = 137;
    private static final Pattern READY = Pattern.compile("kefu relay ready: http://([^:/\\s]+):(\\d+) \\(data (.+)\\)");

    private final Process process;
    private final Path log;
    private final List<String> stdout = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Matcher> ready = new CompletableFuture<>();

    private RelayProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Runs {@code kefu-relay ARGS} in a child JVM and waits up to {@link #START_TIMEOUT} for its ready
     * line; {@code env} is added to the child's environment.
     */
    public static RelayProcess start(List<String> args, Map<String, String> env, Path log) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // Small and quick to start: these tests restart the relay often on a shared 2-core machine.
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"),
                "dev.kefu.relay.cli.RelayCli"));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        pb.environment().keySet().removeIf(k -> k.startsWith("KEFU_"));
        pb.environment().putAll(env);
        RelayProcess relay = new RelayProcess(pb.start(), log);
        relay.process.getOutputStream().close();
        Thread reader = new Thread(relay::readStdout, "relay-child-stdout-" + relay.process.pid());
        reader.setDaemon(true);
        reader.start();
        relay.awaitReady();
        return relay;
    }

    /** {@code serve} on a free port of 127.0.0.1 with {@code dataDir}, plus {@code extra} flags. */
    public static RelayProcess serve(Path dataDir, Path log, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("serve", "--port", "0", "--host", "127.0.0.1",
                "--data", dataDir.toString()));
        args.addAll(List.of(extra));
        return start(args, Map.of(), log);
    }

    private void readStdout() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                synchronized (stdout) {
                    stdout.add(line);
                    stdout.notifyAll();
                }
                Matcher m = READY.matcher(line);
                if (m.find()) {
                    ready.complete(m);
                }
            }
        } catch (IOException e) {
            // the child died; awaitReady reports it
        } finally {
            ready.completeExceptionally(new IllegalStateException("the relay's standard output ended before it was ready"));
        }
    }

    private void awaitReady() throws Exception {
        try {
            ready.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            close();
            throw new AssertionError("relay child did not get ready within " + START_TIMEOUT + " (exit "
                    + (process.isAlive() ? "none" : process.exitValue()) + "); stdout " + stdout
                    + "; log tail:\n" + logTail(40), e);
        }
    }

    public long pid() {
        return process.pid();
    }

    public int port() {
        return Integer.parseInt(ready.join().group(2));
    }

    /** The data folder as the child printed it (absolute, normalised). */
    public String dataShown() {
        return ready.join().group(3);
    }

    public URI ws(String path) {
        return URI.create("ws://127.0.0.1:" + port() + path);
    }

    public URI http(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** Waits up to {@code timeout} for a line of the child's standard output containing {@code text}; that line. */
    public String awaitStdout(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (stdout) {
            while (true) {
                for (String line : stdout) {
                    if (line.contains(text)) {
                        return line;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no line with '" + text + "' within " + timeout + " in " + stdout);
                }
                TimeUnit.NANOSECONDS.timedWait(stdout, left);
            }
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Lines the child printed on standard output so far. */
    public List<String> stdout() {
        return List.copyOf(stdout);
    }

    /**
     * SIGKILL: no shutdown hook, no flush, no close. Waits for the child to be gone and returns its
     * exit status ({@link #SIGKILL_EXIT} when the signal did it).
     */
    public int kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("relay child " + process.pid() + " still alive 10 s after SIGKILL");
        }
        return process.exitValue();
    }

    /** The last {@code lines} lines of the child's log, for failure messages. */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** Kills the child if it still runs (forcibly: tests must never leave it behind). */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}

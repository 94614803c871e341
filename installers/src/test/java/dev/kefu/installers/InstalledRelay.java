package dev.kefu.installers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The installed relay, started the way kefu-relay.service starts it, for machines where systemd
 * is not PID 1 (containers, CI): the unit's ExecStart, as its User (runuser), in its
 * WorkingDirectory. Stopped like systemd stops it: SIGTERM to the relay's own process.
 */
final class InstalledRelay implements AutoCloseable {
    static final Path UNIT = Path.of("/lib/systemd/system/kefu-relay.service");

    private final Process runuser;
    private final CompletableFuture<String> ready = new CompletableFuture<>();
    private final Thread reader;

    private InstalledRelay(Process runuser, Path log) throws IOException {
        this.runuser = runuser;
        PrintWriter logOut = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true);
        reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(runuser.getInputStream(), StandardCharsets.UTF_8));
                 logOut) {
                String line;
                while ((line = in.readLine()) != null) {
                    logOut.println(line);
                    if (line.startsWith("kefu relay ready: ")) {
                        ready.complete(line.substring("kefu relay ready: ".length()).split(" ")[0]);
                    }
                }
            } catch (IOException e) {
                ready.completeExceptionally(e);
            }
            ready.completeExceptionally(new IllegalStateException("relay output ended before it was ready; see " + log));
        }, "installed-relay-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts ExecStart of the installed unit as its User; output (stdout and stderr, as journald gets them) to {@code log}. */
    static InstalledRelay start(Path log) throws IOException {
        UnitFile unit = UnitFile.read(UNIT);
        List<String> command = new ArrayList<>(List.of("runuser", "-u", unit.get("Service.User"), "--"));
        command.addAll(unit.execStart());
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        String workDir = unit.get("Service.WorkingDirectory");
        if (workDir != null) {
            pb.directory(Path.of(workDir).toFile());
        }
        Files.createDirectories(log.getParent());
        return new InstalledRelay(pb.start(), log);
    }

    /** Waits for the relay's "ready" line; returns its base URL (http://host:port). */
    String awaitReady(Duration timeout) throws InterruptedException, ExecutionException, TimeoutException {
        return ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** SIGTERM to the relay (runuser's child, the installed launcher), then waits for it to exit. */
    int stop(Duration timeout) throws InterruptedException {
        runuser.descendants().forEach(ProcessHandle::destroy);
        if (!runuser.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("relay still running " + timeout + " after SIGTERM");
        }
        reader.join(timeout.toMillis());
        return runuser.exitValue();
    }

    @Override
    public void close() {
        if (runuser.isAlive()) {
            runuser.descendants().forEach(ProcessHandle::destroyForcibly);
            runuser.destroyForcibly();
        }
    }
}

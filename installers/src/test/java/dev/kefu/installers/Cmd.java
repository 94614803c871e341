package dev.kefu.installers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion with a time limit; output and errors together, as text. */
final class Cmd {
    private final List<String> command;
    private final Map<String, String> env = new java.util.HashMap<>();
    private Path dir;
    private Duration timeout = Duration.ofMinutes(2);

    private Cmd(List<String> command) {
        this.command = command;
    }

    static Cmd of(String... command) {
        return new Cmd(List.of(command));
    }

    static Cmd of(List<String> command) {
        return new Cmd(new ArrayList<>(command));
    }

    Cmd env(String name, String value) {
        env.put(name, value);
        return this;
    }

    Cmd dir(Path dir) {
        this.dir = dir;
        return this;
    }

    Cmd timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    Result run() {
        try {
            Path out = Files.createTempFile("kefu-cmd", ".out");
            try {
                ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                pb.environment().putAll(env);
                if (dir != null) {
                    pb.directory(dir.toFile());
                }
                Process p = pb.start();
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    throw new AssertionError(String.join(" ", command) + " still running after " + timeout
                            + "; output so far:\n" + Files.readString(out, StandardCharsets.UTF_8));
                }
                return new Result(String.join(" ", command), p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Runs it and fails with its output unless it exits with 0. */
    String ok() {
        Result r = run();
        if (r.exit() != 0) {
            throw new AssertionError(r.command() + " exited with " + r.exit() + ":\n" + r.output());
        }
        return r.output();
    }

    record Result(String command, int exit, String output) {
    }
}

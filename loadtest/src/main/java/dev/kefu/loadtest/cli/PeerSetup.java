package dev.kefu.loadtest.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Finds the Socket.IO peer's folder and installs its npm dependencies when missing. */
final class PeerSetup {
    private PeerSetup() {}

    static Path peerDir(Path given) {
        List<Path> candidates = given != null ? List.of(given)
                : List.of(Path.of("loadtest/peers/socketio"), Path.of("peers/socketio"), Path.of("../loadtest/peers/socketio"));
        for (Path p : candidates) {
            if (Files.isRegularFile(p.resolve("server.js"))) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IllegalArgumentException("Socket.IO peer not found (tried " + candidates + "); pass --peer-dir");
    }

    /** {@code npm ci} (or {@code npm install} without a lock file) unless node_modules is there. */
    static void ensureInstalled(Path dir, PrintStream out) throws IOException, InterruptedException {
        if (Files.isDirectory(dir.resolve("node_modules/socket.io")) && Files.isDirectory(dir.resolve("node_modules/better-sqlite3"))) {
            return;
        }
        List<String> cmd = Files.exists(dir.resolve("package-lock.json"))
                ? List.of("npm", "ci", "--no-audit", "--no-fund") : List.of("npm", "install", "--no-audit", "--no-fund");
        // npm's output goes to a file, never to this process's own stdout: under a test runner
        // (surefire) that stream is the runner's channel, and npm's warnings corrupted it.
        Path log = Files.createTempFile("kefu-peer-npm-", ".log");
        out.println("peer: " + String.join(" ", cmd) + " in " + dir + " (output: " + log + ")");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        if (!p.waitFor(15, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            List<String> lines = Files.readAllLines(log);
            lines.subList(Math.max(0, lines.size() - 30), lines.size()).forEach(out::println);
            throw new IllegalStateException(String.join(" ", cmd) + " failed in " + dir + "; its output: " + log);
        }
        Files.deleteIfExists(log);
    }
}

package dev.kefu.loadtest.relay;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A relay run by the load generator itself as a child process ({@code java -jar kefu-relay.jar
 * serve ...}, or any command that runs the relay CLI) on 127.0.0.1, a fixed port and one data
 * folder, so that it can be killed with SIGKILL and started again exactly where it was. Accounts are
 * seeded through the relay's own CLI ({@code site add}, {@code agent add --password-stdin}).
 * The child's log (standard error) goes to {@code relay.log} in the work folder.
 */
public final class RelayHarness implements AutoCloseable {
    /** The relay's ready line ({@code kefu relay ready: http://127.0.0.1:8080 ...}), or a peer's alike. */
    private static final Pattern READY = Pattern.compile("ready: http://([^:/\\s]+):(\\d+)");
    private static final long START_TIMEOUT_MS = 60_000;

    private final List<String> cli;
    private final List<String> serveFlags;
    /** A peer's own start command with {port} and {data} placeholders; null for the Kefu relay. */
    private final List<String> peerCommand;
    private final Path peerDir;
    private final Path data;
    private final Path log;
    private final int port;
    private Process process;
    private int starts;

    /**
     * @param cli        the command that runs the relay CLI, e.g. {@code [java, -Xmx1g, -jar, kefu-relay.jar]}
     * @param serveFlags extra flags for {@code serve} ({@code --heartbeat-sec 10 ...})
     * @param workDir    folder for the data folder and the log; created if absent
     * @param port       TCP port; 0 picks a free one now and keeps it across restarts
     */
    public RelayHarness(List<String> cli, List<String> serveFlags, Path workDir, int port) throws IOException {
        this(cli, serveFlags, null, null, workDir, port);
    }

    /**
     * Another relay (the Socket.IO peer): {@code command} runs it in {@code dir}, with {@code {port}}
     * and {@code {data}} replaced; it must print a line containing {@code ready: http://HOST:PORT}.
     */
    public static RelayHarness peer(List<String> command, Path dir, Path workDir) throws IOException {
        return new RelayHarness(List.of(), List.of(), command, dir, workDir, 0);
    }

    private RelayHarness(List<String> cli, List<String> serveFlags, List<String> peerCommand, Path peerDir,
                         Path workDir, int port) throws IOException {
        this.cli = List.copyOf(cli);
        this.serveFlags = List.copyOf(serveFlags);
        this.peerCommand = peerCommand == null ? null : List.copyOf(peerCommand);
        this.peerDir = peerDir;
        Files.createDirectories(workDir);
        this.data = workDir.resolve("data");
        this.log = workDir.resolve("relay.log");
        this.port = port == 0 ? freePort() : port;
    }

    /** {@code [java, JVM_OPTS..., -jar, jar]} with the java that runs this process. */
    public static List<String> javaJar(Path jar, List<String> jvmOptions) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-jar");
        cmd.add(jar.toString());
        return cmd;
    }

    public Path data() {
        return data;
    }

    public Path log() {
        return log;
    }

    public int port() {
        return port;
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Creates site {@code site} and agents with {@code password} in the data folder (relay stopped). */
    public void seed(String site, List<String> agentUsernames, String password) throws Exception {
        runCli(null, "site", "add", "--key", site, "--name", "Load test", "--data", data.toString());
        for (String u : agentUsernames) {
            runCli(password + "\n", "agent", "add", u, "--password-stdin", "--display", u, "--data", data.toString());
        }
    }

    private void runCli(String stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(cli);
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("relay CLI " + String.join(" ", args) + " did not finish in 60 s");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("relay CLI " + args[0] + " " + args[1] + " exited " + p.exitValue()
                    + "; see " + log);
        }
    }

    /** Starts {@code serve} and waits for its ready line. */
    public synchronized void start() throws Exception {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("the relay is running already");
        }
        List<String> cmd = new ArrayList<>();
        if (peerCommand != null) {
            for (String a : peerCommand) {
                cmd.add(a.replace("{port}", Integer.toString(port)).replace("{data}", data.toString()));
            }
        } else {
            cmd.addAll(cli);
            cmd.addAll(List.of("serve", "--host", "127.0.0.1", "--port", Integer.toString(port), "--data", data.toString()));
            cmd.addAll(serveFlags);
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        if (peerDir != null) {
            pb.directory(peerDir.toFile());
        }
        pb.environment().keySet().removeIf(k -> k.startsWith("KEFU_"));
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<Integer> ready = new CompletableFuture<>();
        Thread reader = new Thread(() -> readStdout(p, ready), "relay-stdout-" + p.pid());
        reader.setDaemon(true);
        reader.start();
        process = p;
        starts++;
        try {
            int shown = ready.get(START_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            if (shown != port) {
                throw new IllegalStateException("the relay says port " + shown + ", expected " + port);
            }
        } catch (Exception e) {
            kill();
            throw new IllegalStateException("the relay did not get ready (" + e + "); see " + log, e);
        }
    }

    private static void readStdout(Process p, CompletableFuture<Integer> ready) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                Matcher m = READY.matcher(line);
                if (m.find()) {
                    ready.complete(Integer.parseInt(m.group(2)));
                }
            }
        } catch (IOException e) {
            // the child is gone
        } finally {
            ready.completeExceptionally(new IllegalStateException("the relay's output ended (exit)"));
        }
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed. Returns the exit status (137). */
    public synchronized int kill() throws InterruptedException {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return p == null ? -1 : p.exitValue();
        }
        p.destroyForcibly();
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
            throw new IllegalStateException("relay " + p.pid() + " still alive 15 s after SIGKILL");
        }
        return p.exitValue();
    }

    /** SIGTERM (the graceful stop: clients told to reconnect, writes flushed), SIGKILL after 20 s. */
    public synchronized void stop() throws InterruptedException {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            kill();
        }
    }

    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    public synchronized int starts() {
        return starts;
    }

    /** The last {@code lines} lines of the relay's log. */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /**
     * A free port below the kernel's ephemeral range (32768 and up here): while the relay is down
     * between a kill and its restart, thousands of clients reconnect, and one of them could
     * otherwise be given the relay's own port as its source port and keep the restart from binding.
     */
    private static int freePort() throws IOException {
        java.util.Random random = new java.util.Random();
        for (int i = 0; i < 200; i++) {
            int candidate = 20_000 + random.nextInt(12_000);
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress("127.0.0.1", candidate));
                return candidate;
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no free port between 20000 and 32000");
    }

    /** Never leaves the child behind. */
    @Override
    public void close() {
        try {
            kill();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

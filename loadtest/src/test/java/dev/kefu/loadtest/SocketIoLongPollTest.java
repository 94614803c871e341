package dev.kefu.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kefu.loadtest.cli.LoadTestCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Socket.IO peer measured on the same scenario as Kefu: WebSocket clients plus a share of
 * visitors on the peer's own Engine.IO HTTP long-polling ({@code sio-lp}). A short bounded steady
 * run against the real peer (node, started by the harness; it runs {@code npm ci} first when
 * {@code node_modules} is missing), half of the visitors on polling; it fails on any lost,
 * duplicated or gapped message, or if the polling visitors did not carry messages both ways.
 * Skipped where there is no {@code node}.
 */
class SocketIoLongPollTest {
    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS)
    void steadyChat_halfTheVisitorsOnEngineIoPolling_booksBalance() throws Exception {
        assumeTrue(onPath("node") && onPath("npm"), "node and npm are needed to run the Socket.IO peer");
        Path work = tmp.resolve("steady-socketio");
        int exit = LoadTestCli.run("steady", "--peer", "socketio", "--peer-dir", peerDir().toString(),
                "--work", work.toString(), "--visitors", "50", "--agents", "4", "--lp-share", "0.5",
                "--reply-ratio", "0.3", "--ramp", "200", "--rate", "50", "--warmup", "1", "--duration", "4",
                "--resume-probes", "1", "--resume-missed", "20", "--grace-sec", "40", "--quiet");
        Path file = work.resolve("result.json");
        assertThat(file).as("result (exit %d); peer log under %s", exit, work).exists();
        JsonNode r = new ObjectMapper().readTree(Files.readString(file));
        assertThat(exit).as("exit code; verdict %s", r.get("verdict")).isZero();

        BooksBalanceTest.assertBooksBalance(r);
        JsonNode clients = r.at("/connections/clientsByTransport");
        assertThat(clients.path("visitors/sio-lp").asLong()).as("visitors on polling; %s", clients).isEqualTo(25);
        assertThat(clients.path("visitors/sio").asLong()).as("visitors on WebSocket; %s", clients).isEqualTo(25);
        JsonNode polling = r.at("/connections/byTransport/visitors~1sio-lp");
        String why = "by transport " + r.at("/connections/byTransport");
        assertThat(polling.path("welcomes").asLong()).as("welcomes over polling; %s", why).isGreaterThanOrEqualTo(25);
        assertThat(polling.path("acks").asLong()).as("acks over polling; %s", why).isPositive();
        assertThat(polling.path("msgsReceived").asLong()).as("messages received over polling; %s", why).isPositive();
        assertThat(polling.path("linksLost").asLong()).as("polling links lost; %s; losses %s", why,
                r.at("/books/linkLosses")).isZero();
        assertThat(r.at("/latencyWholeRunMs/visitor->agent, lp/count").asLong())
                .as("deliveries to agents of messages sent over polling").isPositive();
        assertThat(r.at("/latencyWholeRunMs/agent->visitor, lp/count").asLong())
                .as("agents' replies delivered over polling").isPositive();
    }

    private static Path peerDir() {
        Path here = Path.of("peers/socketio");
        return (Files.isRegularFile(here.resolve("server.js")) ? here : Path.of("loadtest/peers/socketio")).toAbsolutePath();
    }

    private static boolean onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}

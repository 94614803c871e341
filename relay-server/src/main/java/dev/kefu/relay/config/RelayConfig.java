package dev.kefu.relay.config;

import dev.kefu.relay.files.FilesConfig;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the relay can be told, with the defaults of a single-machine install. Built by the
 * CLI from flags, environment ({@code KEFU_*}) and an optional properties file.
 *
 * @param host             address to listen on ({@code 0.0.0.0} for all)
 * @param port             TCP port; 0 picks a free one (printed at start)
 * @param dataDir          folder of the SQLite file and local files
 * @param heartbeatSec     seconds between JSON pings; a peer silent for twice this is dropped
 * @param lpPollSec        longest a long-poll request is held open, seconds
 * @param lpSessionTtlSec  a long-poll session with no poll for this long ends, seconds
 * @param rateLimitPerSec  frames per second a connection may send, sustained
 * @param rateLimitBurst   frames a connection may send at once
 * @param tokenTtl         lifetime of an agent token
 * @param writeBatch       most writes per store transaction
 * @param writeQueue       most writes waiting for the store; beyond it senders get {@code server_busy}
 * @param passwordIterations PBKDF2 iterations for new password hashes
 * @param queueTickMs        how often the queue re-checks on its own (business hours, idle chats), ms
 * @param recallWindowSec    how long after sending a message its sender may recall it, seconds
 * @param files              where files go (local folder or OSS) and what is allowed
 * @param trustProxy         take each client's address from {@code Forwarded} / {@code X-Forwarded-For}
 *                           (and scheme and host from their kin): only behind a reverse proxy that sets
 *                           them, since any client can send them; false uses the TCP peer's address
 * @param wsDeflate          offer permessage-deflate to WebSocket clients that ask (browsers do). Off by
 *                           default: chat frames are a few hundred bytes, and compressing every frame for
 *                           every recipient costs CPU and a compressor's memory per socket
 */
public record RelayConfig(String host, int port, Path dataDir, int heartbeatSec, int lpPollSec,
                          int lpSessionTtlSec, double rateLimitPerSec, int rateLimitBurst, Duration tokenTtl,
                          int writeBatch, int writeQueue, int passwordIterations, long queueTickMs,
                          int recallWindowSec, FilesConfig files, boolean trustProxy,
                          boolean wsDeflate) {

    public RelayConfig {
        require(port >= 0 && port <= 65535, "port is 0 to 65535");
        require(heartbeatSec >= 1, "heartbeat is at least 1 s");
        require(lpPollSec >= 1 && lpSessionTtlSec > lpPollSec, "long-poll: poll >= 1 s and session TTL above it");
        require(rateLimitPerSec > 0 && rateLimitBurst >= 1, "rate limit and burst are positive");
        require(!tokenTtl.isNegative() && !tokenTtl.isZero(), "token lifetime is positive");
        require(writeBatch >= 1 && writeQueue >= writeBatch, "write batch >= 1 and queue >= batch");
        require(passwordIterations >= 1000, "at least 1000 password hash iterations");
        require(queueTickMs >= 50, "queue tick is at least 50 ms");
        require(recallWindowSec >= 0, "recall window is 0 or more");
        files = files == null ? FilesConfig.local() : files;
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new IllegalArgumentException("invalid setting: " + what);
        }
    }

    public RelayConfig(String host, int port, Path dataDir, int heartbeatSec, int lpPollSec, int lpSessionTtlSec,
                       double rateLimitPerSec, int rateLimitBurst, Duration tokenTtl, int writeBatch, int writeQueue,
                       int passwordIterations) {
        this(host, port, dataDir, heartbeatSec, lpPollSec, lpSessionTtlSec, rateLimitPerSec, rateLimitBurst, tokenTtl,
                writeBatch, writeQueue, passwordIterations, 5_000, 120, FilesConfig.local(), false, false);
    }

    public static final int DEFAULT_PORT = 8080;
    /**
     * Writes that may wait for the store: about a second of what the writer commits at its ceiling
     * (10,000-20,000 messages/s here). Beyond it senders get {@code server_busy} at once and retry,
     * rather than waiting many seconds for an ack they stopped waiting for.
     */
    public static final int DEFAULT_WRITE_QUEUE = 10_000;
    public static final String DEFAULT_DATA = "./kefu-data";

    public static RelayConfig defaults(Path dataDir) {
        return new RelayConfig("0.0.0.0", DEFAULT_PORT, dataDir, 25, 25, 60, 50, 3000,
                Duration.ofDays(7), 1000, DEFAULT_WRITE_QUEUE, 310_000);
    }

    public RelayConfig withPort(int p) {
        return new RelayConfig(host, p, dataDir, heartbeatSec, lpPollSec, lpSessionTtlSec, rateLimitPerSec,
                rateLimitBurst, tokenTtl, writeBatch, writeQueue, passwordIterations, queueTickMs, recallWindowSec,
                files, trustProxy, wsDeflate);
    }

    public RelayConfig withHost(String h) {
        return new RelayConfig(h, port, dataDir, heartbeatSec, lpPollSec, lpSessionTtlSec, rateLimitPerSec,
                rateLimitBurst, tokenTtl, writeBatch, writeQueue, passwordIterations, queueTickMs, recallWindowSec,
                files, trustProxy, wsDeflate);
    }

    public RelayConfig withHeartbeat(int hbSec) {
        return new RelayConfig(host, port, dataDir, hbSec, lpPollSec, lpSessionTtlSec, rateLimitPerSec,
                rateLimitBurst, tokenTtl, writeBatch, writeQueue, passwordIterations, queueTickMs, recallWindowSec,
                files, trustProxy, wsDeflate);
    }

    public RelayConfig withLongPoll(int pollSec, int ttlSec) {
        return new RelayConfig(host, port, dataDir, heartbeatSec, pollSec, ttlSec, rateLimitPerSec,
                rateLimitBurst, tokenTtl, writeBatch, writeQueue, passwordIterations, queueTickMs, recallWindowSec,
                files, trustProxy, wsDeflate);
    }

    public RelayConfig withWriteQueue(int batch, int queue) {
        return new RelayConfig(host, port, dataDir, heartbeatSec, lpPollSec, lpSessionTtlSec, rateLimitPerSec,
                rateLimitBurst, tokenTtl, batch, queue, passwordIterations, queueTickMs, recallWindowSec,
                files, trustProxy, wsDeflate);
    }

    public RelayConfig withRateLimit(double perSec, int burst) {
        return new RelayConfig(host, port, dataDir, heartbeatSec, lpPollSec, lpSessionTtlSec, perSec, burst,
                tokenTtl, writeBatch, writeQueue, passwordIterations, queueTickMs, recallWindowSec,
                files, trustProxy, wsDeflate);
    }

    public RelayConfig withFiles(FilesConfig f) {
        return new RelayConfig(host, port, dataDir, heartbeatSec, lpPollSec, lpSessionTtlSec, rateLimitPerSec,
                rateLimitBurst, tokenTtl, writeBatch, writeQueue, passwordIterations, queueTickMs, recallWindowSec,
                f, trustProxy, wsDeflate);
    }

    public RelayConfig withQueueTick(long ms) {
        return new RelayConfig(host, port, dataDir, heartbeatSec, lpPollSec, lpSessionTtlSec, rateLimitPerSec,
                rateLimitBurst, tokenTtl, writeBatch, writeQueue, passwordIterations, ms, recallWindowSec,
                files, trustProxy, wsDeflate);
    }

    public RelayConfig withRecallWindow(int sec) {
        return new RelayConfig(host, port, dataDir, heartbeatSec, lpPollSec, lpSessionTtlSec, rateLimitPerSec,
                rateLimitBurst, tokenTtl, writeBatch, writeQueue, passwordIterations, queueTickMs, sec,
                files, trustProxy, wsDeflate);
    }

    public RelayConfig withPasswordIterations(int iterations) {
        return new RelayConfig(host, port, dataDir, heartbeatSec, lpPollSec, lpSessionTtlSec, rateLimitPerSec,
                rateLimitBurst, tokenTtl, writeBatch, writeQueue, iterations, queueTickMs, recallWindowSec,
                files, trustProxy, wsDeflate);
    }

    public RelayConfig withTrustProxy(boolean trust) {
        return new RelayConfig(host, port, dataDir, heartbeatSec, lpPollSec, lpSessionTtlSec, rateLimitPerSec,
                rateLimitBurst, tokenTtl, writeBatch, writeQueue, passwordIterations, queueTickMs, recallWindowSec, files,
                trust, wsDeflate);
    }

    public RelayConfig withWsDeflate(boolean deflate) {
        return new RelayConfig(host, port, dataDir, heartbeatSec, lpPollSec, lpSessionTtlSec, rateLimitPerSec,
                rateLimitBurst, tokenTtl, writeBatch, writeQueue, passwordIterations, queueTickMs, recallWindowSec,
                files, trustProxy, deflate);
    }
}

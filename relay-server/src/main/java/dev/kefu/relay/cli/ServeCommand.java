package dev.kefu.relay.cli;

import dev.kefu.relay.RelayServer;
import dev.kefu.relay.auth.PasswordHasher;
import dev.kefu.relay.config.RelayConfig;
import dev.kefu.relay.files.FilesConfig;
import dev.kefu.relay.store.AccountStore;
import dev.kefu.relay.store.AgentRecord;
import dev.kefu.relay.store.DataFolderLock;
import dev.kefu.relay.store.Ids;
import dev.kefu.relay.store.SiteRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = RelayCli.Version.class,
        description = "Run the relay until SIGTERM or Ctrl-C (then: clients told to reconnect, writes flushed).")
final class ServeCommand implements Callable<Integer> {
    static final String DEMO_SITE = "demo";
    static final String DEMO_AGENT = "demo";

    @Mixin
    DataOption data;

    @Option(names = "--port", defaultValue = "8080", description = "TCP port; 0 picks a free one. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--host", defaultValue = "0.0.0.0", description = "Address to listen on. Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--heartbeat-sec", defaultValue = "25", description = "Seconds between pings; silent peers are dropped after twice this. Default: ${DEFAULT-VALUE}.")
    int heartbeatSec;

    @Option(names = "--lp-poll-sec", defaultValue = "25", description = "Longest a long-poll is held, seconds. Default: ${DEFAULT-VALUE}.")
    int lpPollSec;

    @Option(names = "--lp-session-ttl-sec", defaultValue = "60", description = "A long-poll session unpolled this long ends. Default: ${DEFAULT-VALUE}.")
    int lpTtlSec;

    @Option(names = "--rate-limit", defaultValue = "50", description = "Frames per second per connection, sustained. Default: ${DEFAULT-VALUE}.")
    double rateLimit;

    @Option(names = "--rate-burst", defaultValue = "3000", description = "Frames a connection may send at once. Default: ${DEFAULT-VALUE}.")
    int rateBurst;

    @Option(names = "--recall-window-sec", defaultValue = "120",
            description = "How long after sending a message its sender may recall it, seconds (0: never); "
                    + "clients learn it from welcome.recallWindowMs. Default: ${DEFAULT-VALUE}.")
    int recallWindowSec;

    @Option(names = "--token-ttl-hours", defaultValue = "168", description = "Agent token lifetime, hours. Default: ${DEFAULT-VALUE}.")
    long tokenTtlHours;

    @Option(names = "--write-batch", defaultValue = "1000", description = "Most writes per store transaction. Default: ${DEFAULT-VALUE}.")
    int writeBatch;

    @Option(names = "--write-queue", defaultValue = "" + RelayConfig.DEFAULT_WRITE_QUEUE,
            description = "Most writes waiting for the store (about a second of its ceiling); beyond it senders get "
                    + "server_busy and retry. Default: ${DEFAULT-VALUE}.")
    int writeQueue;

    @Option(names = "--ws-deflate",
            description = "Offer permessage-deflate to WebSocket clients that ask for it. Off by default: chat frames "
                    + "are small, and compressing each frame for each recipient costs CPU and memory per socket.")
    boolean wsDeflate;

    @Option(names = "--files", defaultValue = "local", description = "Where files go: local (the data folder) or oss. Default: ${DEFAULT-VALUE}.")
    String filesMode;

    @Option(names = "--max-file-mb", defaultValue = "100", description = "Largest file accepted, MB. Default: ${DEFAULT-VALUE}.")
    long maxFileMb;

    @Option(names = "--file-types", split = ",", description = "Allowed content types (type/* allowed). Default: images, PDF, text, zip, office, mp4, audio.")
    java.util.List<String> fileTypes;

    @Option(names = "--oss-endpoint", description = "e.g. https://oss-cn-hangzhou.aliyuncs.com")
    String ossEndpoint;

    @Option(names = "--oss-region", description = "e.g. cn-hangzhou")
    String ossRegion;

    @Option(names = "--oss-bucket", description = "A private bucket.")
    String ossBucket;

    @Option(names = "--oss-prefix", defaultValue = "kefu", description = "Key prefix of this relay's objects. Default: ${DEFAULT-VALUE}.")
    String ossPrefix;

    @Option(names = "--oss-access-key-id", description = "The RAM user's AccessKey id (it may only call sts:AssumeRole).")
    String ossAccessKeyId;

    @Option(names = "--oss-access-key-secret", description = "Its secret; prefer env KEFU_OSS_ACCESS_KEY_SECRET.")
    String ossAccessKeySecret;

    @Option(names = "--oss-role-arn", description = "acs:ram::ACCOUNT:role/NAME, allowed to put and get objects in the bucket.")
    String ossRoleArn;

    @Option(names = "--sts-endpoint", defaultValue = "https://sts.aliyuncs.com", description = "Default: ${DEFAULT-VALUE}.")
    String stsEndpoint;

    @Option(names = "--oss-credential-minutes", defaultValue = "60", description = "STS credential lifetime, 15-60. Default: ${DEFAULT-VALUE}.")
    int ossCredentialMinutes;

    @Option(names = "--trust-proxy",
            description = "Behind a reverse proxy: take each client's address (IP blocks, the visitors list) from "
                    + "Forwarded / X-Forwarded-For, which the proxy must set. Off, those headers are ignored: "
                    + "any client can send them.")
    boolean trustProxy;

    @Option(names = "--demo", description = "Create a demo site 'demo' and agent 'demo' on first run and print their credentials.")
    boolean demo;

    @Override
    public Integer call() throws Exception {
        RelayConfig cfg;
        try {
            FilesConfig files = new FilesConfig(filesMode, maxFileMb * 1024 * 1024,
                    fileTypes == null || fileTypes.isEmpty() ? FilesConfig.DEFAULT_TYPES : fileTypes, ossEndpoint, ossRegion,
                    ossBucket, ossPrefix, ossAccessKeyId, ossAccessKeySecret, ossRoleArn, stsEndpoint,
                    Duration.ofMinutes(ossCredentialMinutes));
            cfg = new RelayConfig(host, port, data.data, heartbeatSec, lpPollSec, lpTtlSec, rateLimit,
                    rateBurst, Duration.ofHours(tokenTtlHours), writeBatch, writeQueue, PasswordHasher.DEFAULT_ITERATIONS)
                    .withFiles(files).withTrustProxy(trustProxy).withWsDeflate(wsDeflate).withRecallWindow(recallWindowSec);
        } catch (IllegalArgumentException e) {
            System.err.println("serve: " + e.getMessage());
            return 2;
        }
        String[] demoPassword = {null};
        RelayServer relay;
        try {
            relay = RelayServer.start(cfg, accounts -> {
                if (demo) {
                    demoPassword[0] = ensureDemo(accounts, data.data);
                }
            });
        } catch (DataFolderLock.Held e) {
            System.err.println("serve: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            relay.close();
            stopped.countDown();
        }, "kefu-shutdown"));
        String shownHost = "0.0.0.0".equals(host) ? "127.0.0.1" : "::".equals(host) ? "[::1]"
                : host.contains(":") ? "[" + host + "]" : host;
        String base = "http://" + shownHost + ":" + relay.port();
        System.out.println("kefu relay ready: " + base + " (data " + data.data.toAbsolutePath().normalize() + ")");
        if (demoPassword[0] != null) {
            System.out.println("  demo page:   " + base + "/demo");
            System.out.println("  demo agent:  username " + DEMO_AGENT + ", password " + demoPassword[0]);
            System.out.println("  site key:    " + DEMO_SITE);
        }
        System.out.flush();
        stopped.await();
        return 0;
    }

    /** Creates the demo site and agent unless present; returns the demo agent's password. */
    static String ensureDemo(AccountStore accounts, Path dataDir) {
        Path file = dataDir.resolve("demo-credentials.txt");
        try {
            if (accounts.agentByUsername(DEMO_AGENT).isPresent() && Files.exists(file)) {
                return Files.readString(file, StandardCharsets.UTF_8).strip();
            }
            String password = Ids.random(12);
            // The demo hands each chat straight to the demo agent when it is online, as a desk
            // with automatic assignment would; a fresh site waits for an agent to accept.
            accounts.addSite(new SiteRecord(DEMO_SITE, Ids.random(32), "Demo shop", List.of(), System.currentTimeMillis(),
                    null, SiteRecord.LEAST_BUSY, true, null, 0));
            if (!accounts.addAgent(new AgentRecord(Ids.newId("a"), DEMO_AGENT, "Demo Agent 演示客服",
                    new PasswordHasher().hash(password), true, false, null, System.currentTimeMillis()))) {
                accounts.setPasswordHash(DEMO_AGENT, new PasswordHasher().hash(password));
            }
            Files.writeString(file, password + "\n", StandardCharsets.UTF_8);
            return password;
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}

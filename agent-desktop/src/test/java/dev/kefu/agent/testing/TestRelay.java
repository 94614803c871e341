package dev.kefu.agent.testing;

import dev.kefu.agent.login.AgentAccount;
import dev.kefu.agent.net.LoginClient;
import dev.kefu.agent.net.ServerAddress;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.Role;
import dev.kefu.relay.RelayServer;
import dev.kefu.relay.auth.PasswordHasher;
import dev.kefu.relay.config.RelayConfig;
import dev.kefu.relay.store.AccountStore;
import dev.kefu.relay.store.AgentRecord;
import dev.kefu.relay.store.Ids;
import dev.kefu.relay.store.SiteRecord;
import dev.kefu.relay.testing.WsClient;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A real relay in this JVM on 127.0.0.1, with a site {@code shop} and agents {@code alice} and
 * {@code bob} (password {@link #PASSWORD}); seeding is idempotent, so a relay can be stopped and
 * started again on the same data folder and port. Mirrors relay-server's {@code RelayFixture}.
 */
public final class TestRelay implements AutoCloseable {
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    public static final String SITE = "shop";
    public static final String PASSWORD = "correct horse battery";

    public final Path dataDir;
    public final RelayServer relay;

    private TestRelay(Path dataDir, RelayServer relay) {
        this.dataDir = dataDir;
        this.relay = relay;
    }

    /** On a free port. */
    public static TestRelay start(Path dataDir) throws Exception {
        return start(dataDir, 0);
    }

    /** On {@code port} (0: a free one), e.g. the port of a relay stopped a moment ago. */
    public static TestRelay start(Path dataDir, int port) throws Exception {
        return start(dataDir, port, UnaryOperator.identity());
    }

    /** With {@code configure} applied to the default configuration, e.g. {@code c -> c.withFiles(oss)}. */
    public static TestRelay start(Path dataDir, int port, UnaryOperator<RelayConfig> configure) throws Exception {
        RelayConfig config = configure.apply(RelayConfig.defaults(dataDir).withHost("127.0.0.1").withPort(port)
                .withPasswordIterations(1000));
        return new TestRelay(dataDir, RelayServer.start(config, TestRelay::seed));
    }

    private static void seed(AccountStore accounts) {
        accounts.addSite(new SiteRecord(SITE, "shop-secret-0123456789", "Shop", List.of(), 0));
        PasswordHasher hasher = new PasswordHasher(1000);
        accounts.addAgent(new AgentRecord(Ids.newId("a"), "alice", "Alice 小爱", hasher.hash(PASSWORD), true, false, null, 0));
        accounts.addAgent(new AgentRecord(Ids.newId("a"), "bob", "Bob", hasher.hash(PASSWORD), false, false, null, 0));
    }

    public int port() {
        return relay.port();
    }

    public ServerAddress address() {
        return ServerAddress.parse("http://127.0.0.1:" + port());
    }

    public URI ws(String path) {
        return relay.wsUri().resolve(path);
    }

    /** Logs {@code username} in over HTTP, as the app does. */
    public AgentAccount login(String username) throws Exception {
        LoginClient.Result r = new LoginClient().login(address(), username, PASSWORD);
        return new AgentAccount(address(), r.username(), r.agentId(), r.name(), r.token(), r.expiresAt(), r.admin());
    }

    /** A visitor of {@link #SITE} connected with hello sent (its welcome left in the queue); waits up to 15 s per frame. */
    public WsClient visitor(String visitorId, String name) throws Exception {
        WsClient visitor = WsClient.connect(ws("/ws/visitor")).timeout(Duration.ofSeconds(15));
        visitor.send(new Frame.Hello(Role.VISITOR, SITE, null,
                new Frame.VisitorInfo(visitorId, name, null, Map.of("plan", "pro", "城市", "上海"), null, null),
                Map.of(), new Frame.ClientInfo("test-visitor", "1")));
        return visitor;
    }

    /** An agent's own WebSocket connection (another app, say), hello sent; its welcome left in the queue. */
    public WsClient agent(String username) throws Exception {
        WsClient agent = WsClient.connect(ws("/ws/agent")).timeout(Duration.ofSeconds(15));
        agent.send(new Frame.Hello(Role.AGENT, null, login(username).token(), null, Map.of(),
                new Frame.ClientInfo("test-agent", "1")));
        return agent;
    }

    /** A visitor's download of a file it may see: {@code GET /api/files/url?key=&site=&visitor=}, then the signed URL. */
    public byte[] visitorDownload(String visitorId, String key) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        var r = http.send(java.net.http.HttpRequest.newBuilder(address().http("/api/files/url?key="
                        + java.net.URLEncoder.encode(key, java.nio.charset.StandardCharsets.UTF_8) + "&site=" + SITE
                        + "&visitor=" + visitorId)).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new AssertionError("signed URL refused: " + r.statusCode() + " " + r.body());
        }
        String url = dev.kefu.protocol.FrameCodec.parse(r.body()).path("url").asText();
        var d = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        if (d.statusCode() != 200) {
            throw new AssertionError("download refused: " + d.statusCode() + " " + new String(d.body()));
        }
        return d.body();
    }

    /** {@code kefu-relay backup}: a backup of the relay's store (and local files) into the new folder {@code backup}. */
    public static void backUpStore(Path dataDir, Path backup) throws Exception {
        dev.kefu.relay.backup.DataBackup.backup(dataDir, backup, "test");
    }

    /**
     * {@code kefu-relay restore} of a stopped relay's store from {@code backup}: the backup's store in
     * place of the current one, with a new epoch, which tells clients that seqs they hold may be
     * handed out again. Returns the new epoch.
     */
    public static String restoreStore(Path dataDir, Path backup) throws Exception {
        return dev.kefu.relay.backup.DataRestore.restore(dataDir, backup).newEpoch();
    }

    public static String newVisitorId() {
        return "v-" + Ids.random(20);
    }

    /** Stops the relay; a second call does nothing. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            relay.close();
        }
    }
}

package dev.kefu.e2e.harness;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.Role;
import dev.kefu.relay.RelayServer;
import dev.kefu.relay.auth.PasswordHasher;
import dev.kefu.relay.config.RelayConfig;
import dev.kefu.relay.store.AccountStore;
import dev.kefu.relay.store.AgentRecord;
import dev.kefu.relay.store.Ids;
import dev.kefu.relay.store.SiteRecord;
import dev.kefu.relay.testing.WsClient;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A real relay in this JVM on 127.0.0.1 with a temporary data folder, the sites {@code shop} (the
 * tests' pages) and {@code demo} (the relay's own /demo page), and the agent {@code alice}. It can be
 * stopped and started again on the same folder and port, like an operator restarting it.
 */
public final class TestRelay implements AutoCloseable {
    public static final String SITE = "shop";
    public static final String DEMO_SITE = "demo";
    public static final String AGENT = "alice";
    public static final String AGENT_NAME = "Alice 小爱";
    private static final String PASSWORD = "correct horse battery";

    private final Path dataDir;
    private final UnaryOperator<RelayConfig> tweak;
    private final int port;
    private final HttpClient http = HttpClient.newHttpClient();
    private RelayServer relay;
    /** The agents {@link #agent} connected, for {@link #explain}. */
    private final List<WsClient> agents = new java.util.concurrent.CopyOnWriteArrayList<>();

    private TestRelay(Path dataDir, int port, UnaryOperator<RelayConfig> tweak) throws Exception {
        this.dataDir = dataDir;
        this.tweak = tweak;
        this.relay = RelayServer.start(config(port), TestRelay::seed);
        this.port = relay.port();
    }

    /** A relay on a free port. {@code tweak} adjusts the config, e.g. {@code c -> c.withHeartbeat(2)}. */
    public static TestRelay start(Path dataDir, UnaryOperator<RelayConfig> tweak) throws Exception {
        return new TestRelay(dataDir, 0, tweak);
    }

    public static TestRelay start(Path dataDir) throws Exception {
        return start(dataDir, c -> c);
    }

    /**
     * A relay on a port chosen now and kept across {@link #restart()}, so that browsers find it
     * again at the same address.
     */
    public static TestRelay startOnFixedPort(Path dataDir) throws Exception {
        return new TestRelay(dataDir, freePort(), c -> c);
    }

    private RelayConfig config(int p) {
        return tweak.apply(RelayConfig.defaults(dataDir).withHost("127.0.0.1").withPort(p).withPasswordIterations(1000));
    }

    private static void seed(AccountStore accounts) {
        // Both inserts do nothing when the rows exist, so a restart on the same folder keeps them.
        accounts.addSite(new SiteRecord(SITE, "shop-secret-0123456789", "Shop", List.of(), 0));
        accounts.addSite(new SiteRecord(DEMO_SITE, "demo-secret-0123456789", "Demo", List.of(), 0));
        accounts.addAgent(new AgentRecord(Ids.newId("a"), AGENT, AGENT_NAME,
                new PasswordHasher(1000).hash(PASSWORD), true, false, null, 0));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    /** Graceful stop (clients are told to reconnect). */
    public void stop() {
        if (relay != null) {
            relay.close();
            relay = null;
        }
    }

    /** Starts again on the same data folder and port. */
    public void restart() throws Exception {
        stop();
        relay = RelayServer.start(config(port), TestRelay::seed);
    }

    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT}, no trailing slash. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** An agent connected over /ws/agent, past hello (its welcome and visitor list still queued). */
    public WsClient agent(Map<String, Long> resume) throws Exception {
        // 20 s per frame: covers a widget's reconnect backoff after an outage
        WsClient agent = WsClient.connect(URI.create("ws://127.0.0.1:" + port + "/ws/agent")).timeout(Duration.ofSeconds(20));
        agent.send(new Frame.Hello(Role.AGENT, null, loginToken(), null, resume, null));
        agents.add(agent);
        agent.next("welcome");
        return agent;
    }

    /**
     * For a failing test's report: every frame each agent of {@link #agent} received (pings aside,
     * read or not), then what a new agent connecting now gets (its welcome lists the live
     * conversations with their last seq; their messages are replayed from the store). A message the
     * store has and an agent never got shows up in the second part only.
     */
    public String explain() {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < agents.size(); i++) {
            out.append("agent ").append(i + 1).append(" received ").append(agents.get(i).received()).append('\n');
        }
        if (relay == null) {
            return out.append("relay stopped\n").toString();
        }
        try (WsClient fresh = WsClient.connect(URI.create("ws://127.0.0.1:" + port + "/ws/agent")).timeout(Duration.ofSeconds(5))) {
            fresh.send(new Frame.Hello(Role.AGENT, null, loginToken(), null, Map.of(), null));
            out.append("a new agent now gets ").append(fresh.framesUntil(f -> "agents".equals(f.path("type").asText()),
                    "the agents list that ends its welcome")).append('\n');
        } catch (Exception | AssertionError e) {
            out.append("a new agent could not look: ").append(e).append('\n');
        }
        return out.toString();
    }

    public WsClient agent() throws Exception {
        return agent(Map.of());
    }

    /** The agent's REST side for files, logged in as {@link #AGENT}. */
    public AgentFiles agentFiles() throws Exception {
        return new AgentFiles(baseUrl(), loginToken());
    }

    /** {@code GET /api/...} as {@link #AGENT} (an admin): the answer's JSON, or an AssertionError unless 200. */
    public JsonNode api(String pathAndQuery) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl() + pathAndQuery))
                .header("Authorization", "Bearer " + loginToken()).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new AssertionError("GET " + pathAndQuery + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return FrameCodec.parse(r.body());
    }

    private String loginToken() throws Exception {
        String body = "{\"username\":\"" + AGENT + "\",\"password\":\"" + PASSWORD + "\"}";
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/api/login"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode login = FrameCodec.parse(r.body());
        if (!login.hasNonNull("token")) {
            throw new AssertionError("login failed: HTTP " + r.statusCode() + " " + r.body());
        }
        return login.get("token").asText();
    }

    @Override
    public void close() {
        stop();
    }
}

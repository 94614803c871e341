package dev.kefu.relay.testing;

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

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A real relay on a free port with a temporary data folder, a site {@code shop} (secret
 * {@link #SITE_SECRET}) and agents {@code alice} and {@code bob} (password {@link #PASSWORD}).
 */
public final class RelayFixture implements AutoCloseable {
    public static final String SITE = "shop";
    public static final String SITE_SECRET = "shop-secret-0123456789";
    public static final String PASSWORD = "correct horse battery";

    public final Path dataDir;
    public final RelayServer relay;
    private final HttpClient http = HttpClient.newHttpClient();

    private RelayFixture(Path dataDir, RelayServer relay) {
        this.dataDir = dataDir;
        this.relay = relay;
    }

    public static RelayFixture start(Path dataDir) throws Exception {
        return start(dataDir, c -> c);
    }

    public static RelayFixture start(Path dataDir, UnaryOperator<RelayConfig> tweak) throws Exception {
        RelayConfig config = tweak.apply(RelayConfig.defaults(dataDir).withHost("127.0.0.1").withPort(0)
                .withPasswordIterations(1000).withQueueTick(200));
        RelayServer relay = RelayServer.start(config, RelayFixture::seed);
        return new RelayFixture(dataDir, relay);
    }

    static void seed(AccountStore accounts) {
        accounts.addSite(new SiteRecord(SITE, SITE_SECRET, "Shop", List.of(), 0));
        accounts.addSite(new SiteRecord("strict", "strict-secret", "Strict", List.of("https://strict.example"), 0));
        PasswordHasher hasher = new PasswordHasher(1000);
        accounts.addAgent(new AgentRecord(Ids.newId("a"), "alice", "Alice 小爱", hasher.hash(PASSWORD), true, false, null, 0));
        accounts.addAgent(new AgentRecord(Ids.newId("a"), "bob", "Bob", hasher.hash(PASSWORD), false, false, null, 0));
        accounts.addAgent(new AgentRecord(Ids.newId("a"), "carol", "Carol", hasher.hash(PASSWORD), false, false,
                List.of("strict"), 0));
    }

    public URI ws(String path) {
        return relay.wsUri().resolve(path);
    }

    public URI http(String path) {
        return relay.httpUri().resolve(path);
    }

    /** Logs in over {@code /api/login} and returns the answer. */
    public JsonNode login(String username, String password) throws Exception {
        HttpResponse<String> r = post("/api/login", "{\"username\":\"" + username + "\",\"password\":\"" + password + "\"}");
        return FrameCodec.parse(r.body());
    }

    public HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(http(path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "text/plain").build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A REST call with an agent's token; {@code body} may be null. */
    public HttpResponse<String> api(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(http(path)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A GET with an agent's token that must answer 200: its JSON. */
    public JsonNode apiOk(String path, String token) throws Exception {
        HttpResponse<String> r = api("GET", path, token, null);
        if (r.statusCode() != 200) {
            throw new AssertionError("GET " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return FrameCodec.parse(r.body());
    }

    /** The ids of a {@code {"conversations":[...]}} answer, in its order. */
    public static List<String> conversationIds(JsonNode answer) {
        List<String> out = new java.util.ArrayList<>();
        answer.get("conversations").forEach(c -> out.add(c.get("id").asText()));
        return out;
    }

    public String token(String username) throws Exception {
        return login(username, PASSWORD).get("token").asText();
    }

    public HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(http(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** An agent connected and past {@code welcome} (returned with the welcome still readable via {@link WsClient#next}). */
    public WsClient agent(String username, Map<String, Long> resume) throws Exception {
        return agent(username, resume, null);
    }

    /** As {@link #agent(String, Map)}, the hello naming the {@code epoch} its {@code resume} seqs come from (null: none). */
    public WsClient agent(String username, Map<String, Long> resume, String epoch) throws Exception {
        String token = login(username, PASSWORD).get("token").asText();
        WsClient ws = WsClient.connect(ws("/ws/agent"));
        ws.send(new Frame.Hello(Role.AGENT, null, token, null, resume, null, epoch));
        return ws;
    }

    public WsClient agent(String username) throws Exception {
        return agent(username, Map.of());
    }

    /** A visitor of {@link #SITE} connected with hello sent. */
    public WsClient visitor(String visitorId, Map<String, Long> resume) throws Exception {
        WsClient ws = WsClient.connect(ws("/ws/visitor"));
        ws.send(visitorHello(visitorId, resume));
        return ws;
    }

    public WsClient visitor(String visitorId) throws Exception {
        return visitor(visitorId, Map.of());
    }

    /** A visitor of {@link #SITE} whose hello names the {@code epoch} its {@code resume} seqs come from (null: none). */
    public WsClient visitor(String visitorId, Map<String, Long> resume, String epoch) throws Exception {
        WsClient ws = WsClient.connect(ws("/ws/visitor"));
        ws.send(visitorHello(visitorId, resume, epoch));
        return ws;
    }

    public static Frame.Hello visitorHello(String visitorId, Map<String, Long> resume) {
        return visitorHello(visitorId, resume, null);
    }

    public static Frame.Hello visitorHello(String visitorId, Map<String, Long> resume, String epoch) {
        return new Frame.Hello(Role.VISITOR, SITE, null,
                new Frame.VisitorInfo(visitorId, "Visitor " + visitorId.substring(0, 6), null, Map.of("plan", "pro"), null, null),
                resume, new Frame.ClientInfo("test", "1"), epoch);
    }

    public static String newVisitorId() {
        return "v-" + Ids.random(20);
    }

    @Override
    public void close() {
        relay.close();
    }
}

package dev.kefu.relay.transport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A relay behind a reverse proxy ({@code serve --trust-proxy}): the client's address comes from
 * {@code X-Forwarded-For} or {@code Forwarded}, for WebSocket and long-poll alike, so the visitors
 * list shows it and IP blocks hit it. Without the setting the same headers are ignored: a client
 * cannot choose its address.
 */
class TrustProxyTest {
    /** The visitor's address as the proxy reports it (TEST-NET-3). */
    static final String CLIENT = "203.0.113.7";
    /** Where the tests really connect from. */
    static final String PEER = "127.0.0.1";

    @TempDir
    Path data;
    RelayFixture relay;
    final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        if (relay != null) {
            relay.close();
        }
    }

    void start(boolean trustProxy) throws Exception {
        relay = RelayFixture.start(data, c -> c.withTrustProxy(trustProxy));
    }

    /** A WebSocket visitor of {@code shop} whose upgrade request carries {@code headers}; hello sent. */
    WsClient wsVisitor(String visitorId, Map<String, String> headers) throws Exception {
        WsClient ws = WsClient.connect(relay.ws("/ws/visitor"), headers);
        ws.send(RelayFixture.visitorHello(visitorId, Map.of()));
        return ws;
    }

    /** {@code POST /lp/open} with a visitor's hello and {@code headers}; the answer's JSON. */
    HttpResponse<String> lpOpen(String visitorId, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(relay.http("/lp/open"))
                .POST(HttpRequest.BodyPublishers.ofString(FrameCodec.encode(RelayFixture.visitorHello(visitorId, Map.of()))))
                .header("Content-Type", "text/plain;charset=UTF-8").timeout(Duration.ofSeconds(10));
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The address an agent is shown for {@code visitorId} when it comes online. */
    static String trackedAddress(WsClient agent, String visitorId) throws InterruptedException {
        JsonNode online = agent.next(f -> "visitor".equals(f.path("type").asText())
                && "online".equals(f.path("event").asText())
                && visitorId.equals(f.path("visitor").path("id").asText()), "visitor " + visitorId + " online");
        return online.get("visitor").get("ip").asText();
    }

    WsClient agent() throws Exception {
        WsClient agent = relay.agent("alice");
        agent.next("welcome");
        return agent;
    }

    void blockAddress(String ip) throws Exception {
        HttpResponse<String> r = relay.api("POST", "/api/blocks", relay.token("alice"),
                "{\"site\":\"shop\",\"ip\":\"" + ip + "\",\"reason\":\"spam\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "X-Forwarded-For | 203.0.113.7",
            "X-Forwarded-For | 203.0.113.7, 10.0.0.2",
            "Forwarded       | for=203.0.113.7;proto=https",
    })
    void trusted_webSocketVisitor_isTrackedWithTheForwardedAddress(String header, String value) throws Exception {
        start(true);
        String vid = RelayFixture.newVisitorId();
        try (WsClient agent = agent(); WsClient visitor = wsVisitor(vid, Map.of(header, value))) {
            visitor.next("welcome");

            assertThat(trackedAddress(agent, vid)).isEqualTo(CLIENT);
        }
    }

    @Test
    void trusted_longPollVisitor_isTrackedWithTheForwardedAddress() throws Exception {
        start(true);
        String vid = RelayFixture.newVisitorId();
        try (WsClient agent = agent()) {
            HttpResponse<String> open = lpOpen(vid, Map.of("X-Forwarded-For", CLIENT));
            assertThat(open.statusCode()).as(open.body()).isEqualTo(200);

            assertThat(trackedAddress(agent, vid)).isEqualTo(CLIENT);
        }
    }

    @Test
    void trusted_blockedForwardedAddress_isRefusedOnWebSocket_butTheProxyItselfIsNot() throws Exception {
        start(true);
        blockAddress(CLIENT);

        try (WsClient blocked = wsVisitor(RelayFixture.newVisitorId(), Map.of("X-Forwarded-For", CLIENT))) {
            assertThat(blocked.next("error").get("code").asText()).isEqualTo("not_allowed");
            assertThat(blocked.awaitClose(Duration.ofSeconds(5))).isEqualTo(1008);
        }
        try (WsClient other = wsVisitor(RelayFixture.newVisitorId(), Map.of("X-Forwarded-For", "198.51.100.20"))) {
            other.next("welcome");
        }
    }

    @Test
    void trusted_blockedForwardedAddress_isRefusedOnLongPoll() throws Exception {
        start(true);
        blockAddress(CLIENT);

        HttpResponse<String> open = lpOpen(RelayFixture.newVisitorId(), Map.of("X-Forwarded-For", CLIENT));

        assertThat(open.statusCode()).isNotEqualTo(200);
        assertThat(open.body()).contains("not_allowed");
    }

    @Test
    void trusted_blockingAnOnlineVisitorByIp_blocksItsForwardedAddress() throws Exception {
        start(true);
        String vid = RelayFixture.newVisitorId();
        try (WsClient agent = agent(); WsClient visitor = wsVisitor(vid, Map.of("X-Forwarded-For", CLIENT))) {
            visitor.next("welcome");
            trackedAddress(agent, vid);
            HttpResponse<String> r = relay.api("POST", "/api/blocks", relay.token("alice"),
                    "{\"site\":\"shop\",\"visitor\":\"" + vid + "\",\"byIp\":true}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            assertThat(FrameCodec.parse(r.body()).get("ip").asText()).isEqualTo(CLIENT);
            assertThat(visitor.awaitClose(Duration.ofSeconds(5))).isEqualTo(1008);
        }
    }

    @Test
    void untrusted_forwardedHeaders_areIgnored_onWebSocketAndLongPoll() throws Exception {
        start(false);
        String wsVid = RelayFixture.newVisitorId();
        String lpVid = RelayFixture.newVisitorId();
        Map<String, String> spoofed = Map.of("X-Forwarded-For", CLIENT, "Forwarded", "for=" + CLIENT);
        try (WsClient agent = agent(); WsClient visitor = wsVisitor(wsVid, spoofed)) {
            visitor.next("welcome");
            assertThat(trackedAddress(agent, wsVid)).isEqualTo(PEER);

            assertThat(lpOpen(lpVid, spoofed).statusCode()).isEqualTo(200);
            assertThat(trackedAddress(agent, lpVid)).isEqualTo(PEER);
        }
    }

    @Test
    void untrusted_blockOfTheClaimedAddress_doesNotRefuseTheSpoofer() throws Exception {
        start(false);
        blockAddress(CLIENT);

        try (WsClient visitor = wsVisitor(RelayFixture.newVisitorId(), Map.of("X-Forwarded-For", CLIENT))) {
            visitor.next("welcome");
        }
        assertThat(lpOpen(RelayFixture.newVisitorId(), Map.of("X-Forwarded-For", CLIENT)).statusCode()).isEqualTo(200);
    }
}

package dev.kefu.relay.conversation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.relay.auth.VisitorIdentity;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every malformed, oversize, unauthorised or out-of-order frame gets its documented code; nothing bad is stored. */
class BadInputTest {
    @TempDir
    Path data;
    RelayFixture relay;

    @BeforeEach
    void start() throws Exception {
        relay = RelayFixture.start(data);
    }

    @AfterEach
    void stop() throws Exception {
        assertThat(relay.get("/health").statusCode()).isEqualTo(200);
        relay.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "send before hello        | /ws/visitor | {\"type\":\"send\",\"cid\":\"c\",\"body\":\"x\"}                 | hello_required",
            "not JSON                 | /ws/visitor | hello?                                                             | hello_required",
            "agent with forged token  | /ws/agent   | {\"type\":\"hello\",\"role\":\"agent\",\"token\":\"v1.a1.99999999999999.AAAA\"} | bad_token",
            "agent without token      | /ws/agent   | {\"type\":\"hello\",\"role\":\"agent\"}                           | bad_token",
            "unknown site             | /ws/visitor | {\"type\":\"hello\",\"role\":\"visitor\",\"site\":\"nope\",\"visitor\":{\"id\":\"v-0123456789abcdef\"}} | unknown_site",
            "visitor id too short     | /ws/visitor | {\"type\":\"hello\",\"role\":\"visitor\",\"site\":\"shop\",\"visitor\":{\"id\":\"short\"}} | bad_identity",
            "visitor id with spaces   | /ws/visitor | {\"type\":\"hello\",\"role\":\"visitor\",\"site\":\"shop\",\"visitor\":{\"id\":\"v 0123456789abcdef\"}} | bad_identity",
            "wrong userHash           | /ws/visitor | {\"type\":\"hello\",\"role\":\"visitor\",\"site\":\"shop\",\"visitor\":{\"id\":\"v-0123456789abcdef\",\"userId\":\"42\",\"userHash\":\"00ff\"}} | bad_identity",
            "visitor on agent path    | /ws/agent   | {\"type\":\"hello\",\"role\":\"visitor\",\"site\":\"shop\",\"visitor\":{\"id\":\"v-0123456789abcdef\"}} | not_allowed",
    })
    void refusedHello_getsItsCode_andTheConnectionIsClosed(String name, String path, String hello, String code) throws Exception {
        try (WsClient ws = WsClient.connect(relay.ws(path))) {
            ws.sendRaw(hello);
            assertThat(ws.next("error").get("code").asText()).isEqualTo(code);
            assertThat(ws.awaitClose(Duration.ofSeconds(5))).isEqualTo(1008);
        }
    }

    @Test
    void signedIdentity_isAccepted() throws Exception {
        try (WsClient ws = WsClient.connect(relay.ws("/ws/visitor"))) {
            ws.send(new Frame.Hello("visitor", RelayFixture.SITE, null, new Frame.VisitorInfo(RelayFixture.newVisitorId(),
                    "Li", null, null, "42", VisitorIdentity.userHash(RelayFixture.SITE_SECRET, "42").toUpperCase()), null, null));
            assertThat(ws.next("welcome").get("you").get("role").asText()).isEqualTo("visitor");
        }
    }

    @Test
    void originNotListedForTheSite_isRefused_listedOneIsWelcome() throws Exception {
        Frame.Hello hello = new Frame.Hello("visitor", "strict", null,
                new Frame.VisitorInfo(RelayFixture.newVisitorId(), null, null, null, null, null), null, null);
        try (WsClient evil = WsClient.connect(relay.ws("/ws/visitor"), "https://evil.example")) {
            evil.send(hello);
            assertThat(evil.next("error").get("code").asText()).isEqualTo("not_allowed");
        }
        try (WsClient good = WsClient.connect(relay.ws("/ws/visitor"), "https://strict.example")) {
            good.send(hello);
            good.next("welcome");
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "broken JSON            | {\"type\":\"send\",                                                  | bad_frame    |",
            "unknown type           | {\"type\":\"teleport\"}                                             | unknown_type |",
            "no type                | {\"cid\":\"c1\"}                                                   | bad_frame    | c1",
            "send without cid       | {\"type\":\"send\",\"body\":\"x\"}                                   | bad_frame    |",
            "empty text             | {\"type\":\"send\",\"cid\":\"c2\",\"body\":\"  \"}                    | bad_frame    | c2",
            "unknown kind           | {\"type\":\"send\",\"cid\":\"c3\",\"kind\":\"video\",\"body\":\"x\"}    | bad_frame    | c3",
            "image without file     | {\"type\":\"send\",\"cid\":\"c4\",\"kind\":\"image\"}                  | bad_frame    | c4",
            "wrong field type       | {\"type\":\"send\",\"cid\":\"c5\",\"body\":{\"a\":1}}                  | bad_frame    | c5",
            "unknown conversation   | {\"type\":\"send\",\"cid\":\"c6\",\"conv\":\"c-none\",\"body\":\"x\"}   | unknown_conv | c6",
            "visitor accepts        | {\"type\":\"accept\",\"conv\":\"c-none\"}                            | not_allowed  |",
            "visitor invites        | {\"type\":\"invite\",\"cid\":\"c7\",\"visitor\":\"v\",\"body\":\"x\"}  | not_allowed  | c7",
            "client sends welcome   | {\"type\":\"welcome\",\"session\":\"x\",\"heartbeatSec\":1,\"serverTime\":1} | not_allowed |",
            "second hello           | {\"type\":\"hello\",\"role\":\"visitor\"}                           | bad_frame    |",
            "sync of unknown conv   | {\"type\":\"sync\",\"conv\":\"c-none\"}                              | unknown_conv |",
    })
    void badFrameAfterHello_getsItsCode_andTheConnectionStaysOpen(String name, String frame, String code, String cid)
            throws Exception {
        try (WsClient ws = relay.visitor(RelayFixture.newVisitorId())) {
            ws.next("welcome");
            ws.sendRaw(frame);
            JsonNode err = ws.next("error");
            assertThat(err.get("code").asText()).isEqualTo(code);
            if (cid != null) {
                assertThat(err.get("cid").asText()).isEqualTo(cid);
            }
            ws.send(new Frame.Send("ok-1", null, "text", "still works", null));
            assertThat(ws.next("ack").get("seq").asLong()).isEqualTo(1); // nothing bad was stored before it
        }
    }

    @Test
    void bodyAbove5000Characters_isRefusedWithItsCid_andNothingIsStored() throws Exception {
        try (WsClient ws = relay.visitor(RelayFixture.newVisitorId())) {
            ws.next("welcome");
            ws.send(new Frame.Send("long", null, "text", "😀".repeat(5001), null));
            JsonNode err = ws.next("error");
            assertThat(err.get("code").asText()).isEqualTo("too_large");
            assertThat(err.get("cid").asText()).isEqualTo("long");

            ws.send(new Frame.Send("max", null, "text", "😀".repeat(5000), null));
            JsonNode ack = ws.next("ack");
            assertThat(ack.get("seq").asLong()).isEqualTo(1);
            assertThat(ws.next("msg").get("body").asText()).isEqualTo("😀".repeat(5000));
        }
    }

    @Test
    void frameAbove64KiB_getsTooLarge_andClose1009() throws Exception {
        try (WsClient ws = relay.visitor(RelayFixture.newVisitorId())) {
            ws.next("welcome");
            ws.sendRaw("{\"type\":\"page\",\"url\":\"" + "x".repeat(70_000) + "\"}");
            assertThat(ws.next("error").get("code").asText()).isEqualTo("too_large");
            assertThat(ws.awaitClose(Duration.ofSeconds(5))).isEqualTo(1009);
        }
    }

    @Test
    void helloAbove1MiB_getsTooLarge_andClose1009() throws Exception {
        Map<String, Long> resume = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 30_000; i++) {
            resume.put("c-" + "x".repeat(30) + i, 1L); // about 1.2 MB of JSON
        }
        try (WsClient ws = relay.agent("alice", resume)) {
            assertThat(ws.next("error").get("code").asText()).isEqualTo("too_large");
            assertThat(ws.awaitClose(Duration.ofSeconds(5))).isEqualTo(1009);
        }
    }

    @Test
    void floodBeyondTheRateLimit_isRefusedWithRateLimited() throws Exception {
        relay.close();
        relay = RelayFixture.start(data, c -> c.withRateLimit(1, 5));
        try (WsClient ws = relay.visitor(RelayFixture.newVisitorId())) {
            ws.next("welcome");
            for (int i = 0; i < 10; i++) {
                ws.send(new Frame.Send("r" + i, null, "text", "flood " + i, null));
            }
            JsonNode err = ws.next("error");
            assertThat(err.get("code").asText()).isEqualTo("rate_limited");
            assertThat(err.get("cid").asText()).startsWith("r");
            assertThat(ws.isOpen()).isTrue();
        }
    }

    @Test
    void badLogin_is401_andBadBodyIs400() throws Exception {
        assertThat(relay.post("/api/login", "{\"username\":\"alice\",\"password\":\"wrong\"}").statusCode()).isEqualTo(401);
        assertThat(relay.post("/api/login", "{\"username\":\"nobody\",\"password\":\"wrong\"}").statusCode()).isEqualTo(401);
        assertThat(relay.post("/api/login", "[]").statusCode()).isEqualTo(400);
        assertThat(relay.post("/api/login", "not json").statusCode()).isEqualTo(400);
        JsonNode ok = relay.login("alice", RelayFixture.PASSWORD);
        assertThat(ok.get("token").asText()).startsWith("v1.");
        assertThat(ok.get("agent").get("username").asText()).isEqualTo("alice");
        assertThat(ok.get("expiresAt").asLong()).isGreaterThan(System.currentTimeMillis());
    }

    @Test
    void resumeOfSomeoneElsesConversation_replaysNothing() throws Exception {
        String conv;
        try (WsClient owner = relay.visitor(RelayFixture.newVisitorId())) {
            owner.next("welcome");
            owner.send(new Frame.Send("c1", null, "text", "private", null));
            conv = owner.next("ack").get("conv").asText();
        }
        try (WsClient snoop = relay.visitor(RelayFixture.newVisitorId(), Map.of(conv, 0L))) {
            snoop.next("welcome");
            snoop.send(new Frame.Ping());
            snoop.next("pong");
            assertThat(snoop.drain()).noneMatch(f -> "msg".equals(f.path("type").asText()));
        }
    }
}

package dev.kefu.relay.desk;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayTest;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code contact}, {@code rate} and {@code recall} may carry a client-made {@code cid}: the relay
 * echoes it in the error that refuses the frame and in the sender's copy of the {@code conv} or
 * {@code recalled} frame that answers it, so a client with several requests in flight knows which
 * one was answered. Frames without a cid are answered exactly as before.
 */
class CidEchoTest extends RelayTest {
    /** A cid with a 4-byte UTF-8 character: it must come back byte for byte. */
    static final String CID = "k-🦊-狐-1";


    /** A visitor whose message 1 opened {@code conv}, and alice (connected before it). */
    private record Chat(WsClient visitor, WsClient agent, String conv) implements AutoCloseable {
        WsClient as(String who) {
            return "agent".equals(who) ? agent : visitor;
        }

        @Override
        public void close() throws Exception {
            visitor.close();
            agent.close();
        }
    }

    private Chat chat() throws Exception {
        WsClient agent = relay.agent("alice");
        agent.next("welcome");
        WsClient visitor = relay.visitor(RelayFixture.newVisitorId());
        visitor.next("welcome");
        String conv = visitor.say("你好 🙏 我的订单").get("conv").asText();
        agent.next("msg");
        return new Chat(visitor, agent, conv);
    }

    /** Who sends what, and the code of the relay's refusal. {@code CONV} is the chat's conversation. */
    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of("rate before close", "visitor", "{\"type\":\"rate\",\"conv\":\"CONV\",\"score\":5}", "not_allowed"),
                Arguments.of("rate with score 9", "visitor", "{\"type\":\"rate\",\"conv\":\"CONV\",\"score\":9}", "bad_frame"),
                Arguments.of("rate by an agent", "agent", "{\"type\":\"rate\",\"conv\":\"CONV\",\"score\":5}", "not_allowed"),
                Arguments.of("contact for an unknown conversation", "visitor",
                        "{\"type\":\"contact\",\"conv\":\"no-such-conv\",\"email\":\"li@example.com\"}", "unknown_conv"),
                Arguments.of("contact by an agent", "agent",
                        "{\"type\":\"contact\",\"conv\":\"CONV\",\"email\":\"li@example.com\"}", "not_allowed"),
                Arguments.of("recall of someone else's message", "agent", "{\"type\":\"recall\",\"conv\":\"CONV\",\"seq\":1}", "not_allowed"),
                Arguments.of("recall of no message", "visitor", "{\"type\":\"recall\",\"conv\":\"CONV\",\"seq\":99}", "bad_frame"),
                Arguments.of("recall without seq", "visitor", "{\"type\":\"recall\",\"conv\":\"CONV\"}", "bad_frame"),
                Arguments.of("recall with a seq that is no number", "visitor",
                        "{\"type\":\"recall\",\"conv\":\"CONV\",\"seq\":\"one\"}", "bad_frame"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refusal_withCid_echoesTheCidByteExact(String what, String who, String frame, String code) throws Exception {
        try (Chat c = chat()) {
            c.as(who).sendRaw(withCid(frame.replace("CONV", c.conv), CID));

            JsonNode error = c.as(who).next("error");
            assertThat(error.get("code").asText()).isEqualTo(code);
            assertThat(error.path("cid").asText().getBytes(StandardCharsets.UTF_8))
                    .isEqualTo(CID.getBytes(StandardCharsets.UTF_8));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refusal_withoutCid_isAnsweredAsBefore_withoutCid(String what, String who, String frame, String code) throws Exception {
        try (Chat c = chat()) {
            c.as(who).sendRaw(frame.replace("CONV", c.conv));

            JsonNode error = c.as(who).next("error");
            assertThat(error.get("code").asText()).isEqualTo(code);
            assertThat(error.has("cid")).isFalse();
        }
    }

    @Test
    void twoRefusalsInFlight_eachErrorNamesItsOwnFrame() throws Exception {
        try (Chat c = chat()) {
            // The contact is refused by the store, the rate at once: the answers may come in either order.
            c.visitor.send(new Frame.Contact("no-such-conv", null, "li@example.com", null, null, "contact-1"));
            c.visitor.send(new Frame.Rate(c.conv, 0, null, "rate-1"));

            Map<String, String> codeByCid = new HashMap<>();
            for (JsonNode e : c.visitor.collect("error", 2)) {
                codeByCid.put(e.path("cid").asText(), e.get("code").asText());
            }
            assertThat(codeByCid).containsExactlyInAnyOrderEntriesOf(
                    Map.of("contact-1", "unknown_conv", "rate-1", "bad_frame"));
        }
    }

    @Test
    void contact_withCid_isAnsweredWithTheCid_toTheSenderOnly() throws Exception {
        try (Chat c = chat()) {
            c.visitor.send(new Frame.Contact(c.conv, "李雷 🦊", "li@example.com", null, null, CID));

            JsonNode answer = c.visitor.next(hasContact(), "the conv frame with the contact");
            JsonNode toAgent = c.agent.next(hasContact(), "the agent's conv frame");
            assertThat(answer.get("cid").asText()).isEqualTo(CID);
            assertThat(answer.get("conv").get("contact").get("name").asText()).isEqualTo("李雷 🦊");
            assertThat(answer.get("conv").get("contact").has("cid")).as("the cid is not stored with the contact").isFalse();
            assertThat(toAgent.has("cid")).isFalse();
        }
    }

    @Test
    void rate_withCid_isAnsweredWithTheCid_toTheSenderOnly() throws Exception {
        try (Chat c = chat()) {
            c.agent.send(new Frame.Close(c.conv));
            c.visitor.next(f -> "conv".equals(f.path("type").asText())
                    && "closed".equals(f.path("conv").path("status").asText()), "closed");

            c.visitor.send(new Frame.Rate(c.conv, 5, "很满意 👍", CID));

            JsonNode answer = c.visitor.next(hasRating(), "the conv frame with the rating");
            JsonNode toAgent = c.agent.next(hasRating(), "the agent's conv frame");
            assertThat(answer.get("cid").asText()).isEqualTo(CID);
            assertThat(answer.get("conv").get("ratingComment").asText()).isEqualTo("很满意 👍");
            assertThat(toAgent.has("cid")).isFalse();
        }
    }

    @Test
    void recall_withCid_isAnsweredWithTheCid_toTheSenderOnly() throws Exception {
        try (Chat c = chat()) {
            c.visitor.send(new Frame.Recall(c.conv, 1L, CID));

            JsonNode answer = c.visitor.next("recalled");
            JsonNode toAgent = c.agent.next("recalled");
            assertThat(answer.get("cid").asText()).isEqualTo(CID);
            assertThat(answer.get("seq").asLong()).isEqualTo(1);
            assertThat(toAgent.has("cid")).isFalse();
        }
    }

    @Test
    void contactRateAndRecall_withoutCid_areAnsweredAsBefore() throws Exception {
        try (Chat c = chat()) {
            c.visitor.send(new Frame.Contact(c.conv, "Li", "li@example.com", null, null));
            assertThat(c.visitor.next(hasContact(), "contact stored").has("cid")).isFalse();
            c.visitor.send(new Frame.Recall(c.conv, 1L));
            assertThat(c.visitor.next("recalled").has("cid")).isFalse();
            c.agent.send(new Frame.Close(c.conv));
            c.visitor.next(f -> "conv".equals(f.path("type").asText())
                    && "closed".equals(f.path("conv").path("status").asText()), "closed");
            c.visitor.send(new Frame.Rate(c.conv, 4, null));
            assertThat(c.visitor.next(hasRating(), "rated").has("cid")).isFalse();
        }
    }

    @Test
    void cidAboveTheLimit_isRefusedAsABadFrame_andNothingIsStored() throws Exception {
        try (Chat c = chat()) {
            String tooLong = "k".repeat(129);
            c.visitor.send(new Frame.Contact(c.conv, "Li", "li@example.com", null, null, tooLong));

            JsonNode error = c.visitor.next("error");
            assertThat(error.get("code").asText()).isEqualTo("bad_frame");
            assertThat(error.get("cid").asText()).isEqualTo(tooLong);
            c.visitor.send(new Frame.Ping());
            c.visitor.next("pong");
            assertThat(c.agent.drain()).noneMatch(hasContact()::test);
        }
    }

    @Test
    void rateLimited_contact_echoesItsCid() throws Exception {
        relay.close();
        relay = RelayFixture.start(data, cfg -> cfg.withRateLimit(0.001, 1)); // one frame after hello, then none
        try (WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            visitor.next("welcome");
            visitor.send(new Frame.Ping());
            visitor.next("pong");

            visitor.send(new Frame.Contact("any", null, "li@example.com", null, null, CID));

            JsonNode error = visitor.next("error");
            assertThat(error.get("code").asText()).isEqualTo("rate_limited");
            assertThat(error.get("cid").asText()).isEqualTo(CID);
        }
    }

    @Test
    void welcome_tellsTheRecallWindowInMs_andThatCidsAreEchoed() throws Exception {
        try (WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            JsonNode welcome = visitor.next("welcome");
            assertThat(welcome.get("recallWindowMs").asLong()).isEqualTo(120_000L);
            assertThat(welcome.get("cidEcho").asBoolean()).isTrue();
        }
        relay.close();
        relay = RelayFixture.start(data, cfg -> cfg.withRecallWindow(7));
        try (WsClient agent = relay.agent("bob")) {
            assertThat(agent.next("welcome").get("recallWindowMs").asLong()).isEqualTo(7_000L);
        }
    }

    private static String withCid(String frame, String cid) {
        return frame.substring(0, frame.length() - 1) + ",\"cid\":\"" + cid + "\"}";
    }

    private static Predicate<JsonNode> hasContact() {
        return f -> "conv".equals(f.path("type").asText()) && f.path("conv").has("contact");
    }

    private static Predicate<JsonNode> hasRating() {
        return f -> "conv".equals(f.path("type").asText()) && f.path("conv").has("rating");
    }
}

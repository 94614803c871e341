package dev.kefu.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FrameCodecTest {

    @Test
    void send_roundTrips_withEmojiByteExact() throws Exception {
        String body = "你好 👋🏽 𝄞 \u0000x";
        Frame.Send send = new Frame.Send("c-1", "conv1", MessageKind.TEXT, body, null);

        String json = FrameCodec.encode(send);
        Frame back = FrameCodec.decode(json);

        assertThat(back).isEqualTo(send);
        assertThat(((Frame.Send) back).body().getBytes(StandardCharsets.UTF_8))
                .isEqualTo(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void encode_putsTypeFirst_andLeavesOutNulls() throws Exception {
        String json = FrameCodec.encode(new Frame.Send("c-1", null, "text", "hi", null));

        assertThat(json).startsWith("{\"type\":\"send\"");
        assertThat(FrameCodec.parse(json).has("conv")).isFalse();
        assertThat(FrameCodec.parse(json).has("file")).isFalse();
    }

    @Test
    void decode_ignoresUnknownFields() throws Exception {
        Frame f = FrameCodec.decode("{\"type\":\"accept\",\"conv\":\"c9\",\"future\":{\"x\":1}}");

        assertThat(f).isEqualTo(new Frame.Accept("c9"));
    }

    @Test
    void hello_decodesVisitorAndResume() throws Exception {
        Frame f = FrameCodec.decode("""
                {"type":"hello","role":"visitor","site":"demo",
                 "visitor":{"id":"v-0123456789abcdef","name":"Li Lei","attrs":{"plan":"pro"}},
                 "resume":{"c1":17}}""");

        Frame.Hello hello = (Frame.Hello) f;
        assertThat(hello.visitor().id()).isEqualTo("v-0123456789abcdef");
        assertThat(hello.visitor().attrs()).containsEntry("plan", "pro");
        assertThat(hello.resume()).isEqualTo(Map.of("c1", 17L));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"type\":\"teleport\"}                 | unknown_type",
            "{\"conv\":\"x\"}                          | bad_frame",
            "{\"type\":7}                              | bad_frame",
            "[1,2]                                     | bad_frame",
            "{\"type\":\"send\",                       | bad_frame",
            "not json                                  | bad_frame",
            "{\"type\":\"ack\",\"cid\":\"c\",\"seq\":\"x\"} | bad_frame",
            "{\"type\":\"ack\",\"cid\":\"c\",\"seq\":null,\"ts\":1} | bad_frame",
    })
    void decode_badInput_raisesStableCode(String text, String code) {
        assertThatThrownBy(() -> FrameCodec.decode(text))
                .isInstanceOfSatisfying(FrameException.class, e -> assertThat(e.code().wire()).isEqualTo(code));
    }

    @Test
    void decode_deeplyNested_isRefusedNotCrashing() {
        String deep = "{\"type\":\"page\",\"url\":" + "[".repeat(5000) + "]".repeat(5000) + "}";

        assertThatThrownBy(() -> FrameCodec.decode(deep))
                .isInstanceOfSatisfying(FrameException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_FRAME));
    }

    @Test
    void everyKnownType_roundTrips() throws Exception {
        Frame.Party agent = new Frame.Party(Role.AGENT, "a1", "Wang");
        Frame.ConvInfo conv = new Frame.ConvInfo("c1", "demo", ConvStatus.OPEN, "v1", null, "a1", "Wang", 3, 10);
        Frame.VisitorPresence vp = new Frame.VisitorPresence("v1", "demo", "Li", Map.of("k", "v"),
                new Frame.PageInfo("http://x/", "X"), 2, 5L, "ua", "127.0.0.1", "http://r/", true);
        Frame.Msg msg = new Frame.Msg("c1", 1, "k1", agent, MessageKind.IMAGE, null,
                new Frame.FileRef("k/x.png", "x.png", 10L, "image/png"), 99);
        List<Frame> all = List.of(
                new Frame.Hello(Role.AGENT, null, "t", null, Map.of("c1", 3L), new Frame.ClientInfo("n", "1")),
                new Frame.Welcome("s", agent, List.of(conv), 25, 1, 120_000L, true),
                new Frame.Send("k", "c1", "text", "b", null), new Frame.Ack("k", "c1", 1, 2), msg,
                new Frame.Sync("c1", 9L, null, 5), new Frame.Msgs("c1", List.of(msg), true),
                new Frame.PageView("u", "t", "r"), new Frame.VisitorEvent("online", vp),
                new Frame.VisitorList(List.of(vp)), new Frame.Typing("c1", "dr", agent),
                new Frame.Read("c1", 4L, agent), new Frame.Accept("c1"), new Frame.Transfer("c1", "a2"),
                new Frame.Close("c1"), new Frame.Invite("k", "v1", "hi"), new Frame.ConvUpdate(conv),
                new Frame.Ping(), new Frame.Pong(), Frame.Error.of(ErrorCode.CONV_CLOSED, "m", "k"),
                new Frame.QueueUpdate("c1", 2, 120), new Frame.Service(false, "no_agents", "Shop", "欢迎", true),
                new Frame.AgentStatus("away"), new Frame.AgentList(List.of(new Frame.AgentInfo("a1", "W", "online", 1, 5))),
                new Frame.Contact("c1", "Li", "li@x", "+86", "call me", "k2"),
                new Frame.Note("c1", 1, "n1", agent, "internal", 3, 9), new Frame.Recall("c1", 3L, "k3"),
                new Frame.Recalled("c1", 3, agent, 10, "k3"), new Frame.Rate("c1", 5, "好", "k4"),
                new Frame.QuickReplies(List.of(new Frame.QuickReply("q1", null, true, "hi", "Hello!", null))));

        for (Frame f : all) {
            assertThat(FrameCodec.decode(FrameCodec.encode(f))).isEqualTo(f);
        }
        assertThat(all).extracting(f -> FrameCodec.parse(FrameCodec.encode(f)).get("type").asText())
                .containsExactlyInAnyOrderElementsOf(FrameCodec.knownTypes());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "contact  | {\"type\":\"contact\",\"conv\":\"c1\",\"name\":\"李\",\"cid\":\"k-😀\"}",
            "rate     | {\"type\":\"rate\",\"conv\":\"c1\",\"score\":5,\"cid\":\"k-😀\"}",
            "recall   | {\"type\":\"recall\",\"conv\":\"c1\",\"seq\":3,\"cid\":\"k-😀\"}",
            "recalled | {\"type\":\"recalled\",\"conv\":\"c1\",\"seq\":3,\"ts\":1,\"cid\":\"k-😀\"}",
            "conv     | {\"type\":\"conv\",\"conv\":{\"id\":\"c1\",\"lastSeq\":0,\"createdAt\":0},\"cid\":\"k-😀\"}",
    })
    void optionalCid_ofContactRateRecallAndTheirAnswers_roundTripsByteExact(String type, String json) throws Exception {
        Frame f = FrameCodec.decode(json);

        JsonNode again = FrameCodec.parse(FrameCodec.encode(f));
        assertThat(again.get("type").asText()).isEqualTo(type);
        assertThat(again.get("cid").asText().getBytes(StandardCharsets.UTF_8))
                .isEqualTo("k-😀".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void framesWithoutTheOptionalCid_decodeAsBefore_andEncodeWithoutIt() throws Exception {
        Frame.Rate rate = (Frame.Rate) FrameCodec.decode("{\"type\":\"rate\",\"conv\":\"c1\",\"score\":4}");
        Frame.Welcome old = (Frame.Welcome) FrameCodec.decode(
                "{\"type\":\"welcome\",\"session\":\"s\",\"conversations\":[],\"heartbeatSec\":25,\"serverTime\":1}");

        assertThat(rate).isEqualTo(new Frame.Rate("c1", 4, null));
        assertThat(old.recallWindowMs()).isNull();
        assertThat(old.cidEcho()).isNull();
        assertThat(FrameCodec.parse(FrameCodec.encode(new Frame.Recall("c1", 3L))).has("cid")).isFalse();
        JsonNode welcome = FrameCodec.parse(FrameCodec.encode(new Frame.Welcome("s", null, List.of(), 25, 1, 5_000L, true)));
        assertThat(welcome.get("recallWindowMs").asLong()).isEqualTo(5_000L);
        assertThat(welcome.get("cidEcho").asBoolean()).isTrue();
    }

    @Test
    void convContact_encodesTheContactsFieldsOnly() throws Exception {
        Frame.ConvInfo info = new Frame.ConvInfo("c1", "demo", ConvStatus.OFFLINE, "v1", null, null, null, 1, 10,
                new Frame.Contact(null, "李", "li@x", null, "call me"), null, null);

        JsonNode contact = FrameCodec.parse(FrameCodec.encode(new Frame.ConvUpdate(info))).get("conv").get("contact");

        assertThat(contact.properties()).extracting(Map.Entry::getKey).containsExactlyInAnyOrder("name", "email", "text");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "as relays send it               | {\"name\":\"李\",\"email\":\"li@x\"}",
            "with the type older relays sent | {\"type\":\"contact\",\"name\":\"李\",\"email\":\"li@x\"}",
    })
    void convContact_decodes_withOrWithoutAType(String what, String contact) throws Exception {
        Frame f = FrameCodec.decode("{\"type\":\"conv\",\"conv\":{\"id\":\"c1\",\"lastSeq\":1,\"createdAt\":10,"
                + "\"contact\":" + contact + "}}");

        assertThat(((Frame.ConvUpdate) f).conv().contact()).isEqualTo(new Frame.Contact(null, "李", "li@x", null, null));
    }

    @Test
    void encodeArray_givesOneJsonObjectPerFrame() throws Exception {
        String json = FrameCodec.encodeArray(List.of(new Frame.Ping(), new Frame.Pong()));

        List<JsonNode> nodes = FrameCodec.parseArray(json);
        assertThat(nodes).extracting(n -> n.get("type").asText()).containsExactly("ping", "pong");
    }

    @Test
    void errorCodes_haveUniqueWireNames_andRoundTrip() {
        for (ErrorCode c : ErrorCode.values()) {
            assertThat(ErrorCode.fromWire(c.wire())).isSameAs(c);
        }
        assertThat(ErrorCode.fromWire("no_such_code")).isNull();
        assertThat(CloseCodes.shouldReconnect(CloseCodes.SERVICE_RESTART)).isTrue();
        assertThat(CloseCodes.shouldReconnect(CloseCodes.POLICY_VIOLATION)).isFalse();
    }
}

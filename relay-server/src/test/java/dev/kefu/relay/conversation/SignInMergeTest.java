package dev.kefu.relay.conversation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.MessageKind;
import dev.kefu.protocol.Role;
import dev.kefu.relay.auth.VisitorIdentity;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayTest;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.kefu.relay.conversation.SignedVisitorTest.convIds;
import static dev.kefu.relay.conversation.SignedVisitorTest.isMsg;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A shopper chats anonymously on the laptop, then signs in, and already has a visitor from the
 * phone: the laptop's conversations move to the user's visitor in the sign-in's write, so the chat
 * goes on under the user, on every device, and agents see one visitor (docs/protocol.md, "A
 * signed-in user on every device").
 */
class SignInMergeTest extends RelayTest {

    static Frame.Hello signedHello(String visitorId, String userId, Map<String, Long> resume) {
        return new Frame.Hello(Role.VISITOR, RelayFixture.SITE, null,
                new Frame.VisitorInfo(visitorId, "User " + userId, null, Map.of(), userId,
                        VisitorIdentity.userHash(RelayFixture.SITE_SECRET, userId)),
                resume, new Frame.ClientInfo("test", "1"));
    }

    WsClient signedIn(String visitorId, String userId, Map<String, Long> resume) throws Exception {
        WsClient ws = WsClient.connect(relay.ws("/ws/visitor"));
        ws.send(signedHello(visitorId, userId, resume));
        return ws;
    }

    /** The user's visitor, made by a sign-in on the phone, which then leaves. */
    String phoneOf(String userId) throws Exception {
        String phoneId = RelayFixture.newVisitorId();
        try (WsClient phone = signedIn(phoneId, userId, Map.of())) {
            assertThat(phone.next("welcome").get("you").get("id").asText()).isEqualTo(phoneId);
        }
        return phoneId;
    }

    /** A browser's anonymous visitor {@code visitorId} asks {@code question} and leaves: the conversation. */
    String askedAnonymously(String visitorId, String question) throws Exception {
        try (WsClient browser = relay.visitor(visitorId)) {
            browser.next("welcome");
            return browser.say(question).get("conv").asText();
        }
    }

    static boolean isConvOf(JsonNode f, String conv, String visitor) {
        return "conv".equals(f.path("type").asText()) && conv.equals(f.path("conv").path("id").asText())
                && visitor.equals(f.path("conv").path("visitor").asText());
    }

    static List<Long> seqs(List<JsonNode> msgs) {
        List<Long> out = new ArrayList<>();
        msgs.forEach(m -> out.add(m.get("seq").asLong()));
        return out;
    }

    @Test
    void anonymousChat_goesOnUnderTheUser_whenTheBrowserSignsIn_midChat() throws Exception {
        String phoneId = phoneOf("42");
        String laptopId = RelayFixture.newVisitorId();
        try (WsClient agent = relay.agent("alice"); WsClient laptop = relay.visitor(laptopId)) {
            agent.next("welcome");
            laptop.next("welcome");
            JsonNode asked = laptop.say("where is my order?");
            String conv = asked.get("conv").asText();
            agent.reply(conv, "which order number?");
            long answered = laptop.next(f -> isMsg(f, "which order number?"), "the agent's answer").get("seq").asLong();

            try (WsClient signed = signedIn(laptopId, "42", Map.of(conv, answered))) {
                JsonNode welcome = signed.next("welcome");
                assertThat(welcome.get("you").get("id").asText()).as("the user's one visitor").isEqualTo(phoneId);
                assertThat(convIds(welcome)).containsExactly(conv);
                List<JsonNode> replayed = signed.framesUntil(f -> isMsg(f, "which order number?"), "the replay");
                assertThat(replayed).filteredOn(f -> "msg".equals(f.path("type").asText()))
                        .as("moved: replayed from the start, whatever the resume said")
                        .extracting(f -> f.get("body").asText()).endsWith("where is my order?", "which order number?");
                agent.next(f -> isConvOf(f, conv, phoneId), "the conversation, now under the user's visitor");

                agent.reply(conv, "it ships Monday");
                JsonNode next = signed.next(f -> isMsg(f, "it ships Monday"), "the agent's next message");
                assertThat(next.get("seq").asLong()).isEqualTo(answered + 1);
                JsonNode thanks = signed.say("thanks!");
                assertThat(thanks.get("conv").asText()).as("the same conversation").isEqualTo(conv);
                assertThat(thanks.get("seq").asLong()).isEqualTo(answered + 2);
                assertThat(seqs(signed.history(conv))).as("gapless").containsExactly(
                        java.util.stream.LongStream.rangeClosed(1, answered + 2).boxed().toArray(Long[]::new));
            }
        }
        JsonNode panel = relay.apiOk("/api/visitors/shop/" + phoneId + "/conversations", relay.token("bob"));
        assertThat(RelayFixture.conversationIds(panel)).hasSize(1);
        JsonNode before = relay.apiOk("/api/visitors/shop/" + laptopId + "/conversations", relay.token("bob"));
        assertThat(RelayFixture.conversationIds(before)).as("nothing left under the browser's id").isEmpty();
    }

    @Test
    void userOnThePhone_getsTheMovedConversation_andItsNextMessagesLive() throws Exception {
        String phoneId = RelayFixture.newVisitorId();
        String laptopId = RelayFixture.newVisitorId();
        try (WsClient phone = signedIn(phoneId, "42", Map.of()); WsClient laptop = relay.visitor(laptopId)) {
            phone.next("welcome");
            laptop.next("welcome");
            String conv = laptop.say("asked before signing in").get("conv").asText();
            try (WsClient signed = signedIn(laptopId, "42", Map.of())) {
                signed.next("welcome");
                phone.next(f -> isConvOf(f, conv, phoneId), "the moved conversation");
                signed.say("and after");
                phone.next(f -> isMsg(f, "and after"), "the laptop's next message, live on the phone");
            }
        }
    }

    @Test
    void closedConversations_moveToo_andTheAgentsPanelListsThemUnderTheUser() throws Exception {
        String phoneId = phoneOf("42");
        String laptopId = RelayFixture.newVisitorId();
        List<String> closed = new ArrayList<>();
        try (WsClient laptop = relay.visitor(laptopId)) {
            laptop.next("welcome");
            for (String q : List.of("first question", "second question")) {
                String conv = laptop.say(q).get("conv").asText();
                laptop.send(new Frame.Close(conv));
                laptop.next(f -> "conv".equals(f.path("type").asText())
                        && "closed".equals(f.path("conv").path("status").asText()), "the close");
                closed.add(conv);
            }
        }
        try (WsClient signed = signedIn(laptopId, "42", Map.of())) {
            JsonNode welcome = signed.next("welcome");
            assertThat(convIds(welcome)).as("the most recent closed one").containsExactly(closed.get(1));
            assertThat(signed.history(closed.get(0))).extracting(m -> m.get("body").asText())
                    .contains("first question");
        }
        JsonNode panel = relay.apiOk("/api/visitors/shop/" + phoneId + "/conversations", relay.token("bob"));
        assertThat(RelayFixture.conversationIds(panel)).containsExactlyInAnyOrderElementsOf(closed);
    }

    @Test
    void messageSentAnonymously_andResentAfterSigningIn_isStoredOnce() throws Exception {
        phoneOf("42");
        String laptopId = RelayFixture.newVisitorId();
        String conv;
        JsonNode first;
        try (WsClient laptop = relay.visitor(laptopId)) {
            laptop.next("welcome");
            conv = laptop.say("hello").get("conv").asText();
            laptop.send(new Frame.Send("c-during-the-switch", conv, MessageKind.TEXT, "my order is 1234", null));
            first = laptop.next(f -> "ack".equals(f.path("type").asText()), "the ack (lost on the way, say)");
        }
        try (WsClient signed = signedIn(laptopId, "42", Map.of())) {
            signed.next("welcome");
            // The widget did not see the ack: its outbox sends the message again, same cid.
            signed.send(new Frame.Send("c-during-the-switch", conv, MessageKind.TEXT, "my order is 1234", null));
            JsonNode again = signed.next(f -> "ack".equals(f.path("type").asText()), "the resend's ack");
            assertThat(again.get("seq").asLong()).isEqualTo(first.get("seq").asLong());
            assertThat(again.get("conv").asText()).isEqualTo(conv);
            assertThat(signed.history(conv)).filteredOn(m -> "my order is 1234".equals(m.get("body").asText())).hasSize(1);
        }
    }

    @Test
    void firstSignInEver_keepsTheBrowsersConversations_underItsId() throws Exception {
        String laptopId = RelayFixture.newVisitorId();
        String conv = askedAnonymously(laptopId, "a question");
        try (WsClient signed = signedIn(laptopId, "new-user", Map.of())) {
            JsonNode welcome = signed.next("welcome");
            assertThat(welcome.get("you").get("id").asText()).isEqualTo(laptopId);
            assertThat(convIds(welcome)).containsExactly(conv);
        }
    }

    @Test
    void browserIdOfAnotherUser_keepsItsConversations() throws Exception {
        String bobsVisitor = phoneOf("bob-user");
        String browserId = RelayFixture.newVisitorId();
        String alices;
        try (WsClient alice = signedIn(browserId, "alice-user", Map.of())) {
            alice.next("welcome");
            alices = alice.say("my address is 1 Main St").get("conv").asText();
        }
        try (WsClient bob = signedIn(browserId, "bob-user", Map.of())) {
            JsonNode welcome = bob.next("welcome");
            assertThat(welcome.get("you").get("id").asText()).isEqualTo(bobsVisitor);
            assertThat(convIds(welcome)).doesNotContain(alices);
        }
        JsonNode panel = relay.apiOk("/api/visitors/shop/" + browserId + "/conversations", relay.token("bob"));
        assertThat(RelayFixture.conversationIds(panel)).as("still alice's").containsExactly(alices);
    }

    @Test
    void movedConversations_stayWithTheUser_afterARestart() throws Exception {
        String phoneId = phoneOf("42");
        String laptopId = RelayFixture.newVisitorId();
        String conv = askedAnonymously(laptopId, "asked anonymously");
        try (WsClient signed = signedIn(laptopId, "42", Map.of())) {
            signed.next("welcome");
        }
        relay.close();
        relay = RelayFixture.start(data, this::configure);
        try (WsClient phone = signedIn(phoneId, "42", Map.of())) {
            JsonNode welcome = phone.next("welcome");
            assertThat(convIds(welcome)).containsExactly(conv);
            phone.next(f -> isMsg(f, "asked anonymously"), "its history, replayed");
            assertThat(phone.say("still there?").get("conv").asText()).isEqualTo(conv);
        }
        JsonNode panel = relay.apiOk("/api/visitors/shop/" + phoneId + "/conversations", relay.token("bob"));
        assertThat(RelayFixture.conversationIds(panel)).containsExactly(conv);
    }

    @Test
    void fileUploadedAnonymously_andSentAfterSigningIn_isTheUsers_butAStrangersFileIsNot() throws Exception {
        String phoneId = phoneOf("42");
        String laptopId = RelayFixture.newVisitorId();
        // The laptop uploaded while anonymous; the message with the file waits in its outbox.
        HttpResponse<String> policy = relay.post("/api/files/policy", "{\"site\":\"shop\",\"visitor\":\"" + laptopId + "\"}");
        assertThat(policy.statusCode()).as(policy.body()).isEqualTo(200);
        String key = FrameCodec.parse(policy.body()).get("key").asText() + "r1/photo.png";
        assertThat(key).contains("/v/shop/" + laptopId + "/");

        try (WsClient signed = signedIn(laptopId, "42", Map.of())) {
            assertThat(signed.next("welcome").get("you").get("id").asText()).isEqualTo(phoneId);
            signed.send(new Frame.Send("c-photo", null, "image", null, new Frame.FileRef(key, "photo.png", 10L, "image/png")));
            JsonNode answer = signed.next(f -> "ack".equals(f.path("type").asText()) || "error".equals(f.path("type").asText()),
                    "the answer to the send");
            assertThat(answer.get("type").asText()).as(answer.toString()).isEqualTo("ack");

            String strangers = "kefu/v/shop/" + RelayFixture.newVisitorId() + "/r1/x.png";
            signed.send(new Frame.Send("c-strange", null, "image", null, new Frame.FileRef(strangers, "x.png", 10L, "image/png")));
            JsonNode refused = signed.next(f -> "error".equals(f.path("type").asText()), "the refusal");
            assertThat(refused.get("code").asText()).isEqualTo("not_allowed");
            assertThat(refused.get("cid").asText()).isEqualTo("c-strange");
        }
    }
}

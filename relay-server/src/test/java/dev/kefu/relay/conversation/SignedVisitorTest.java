package dev.kefu.relay.conversation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.Role;
import dev.kefu.relay.auth.VisitorIdentity;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayTest;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A visitor signed in by its site ({@code userId} + {@code userHash}) is one visitor on every device:
 * one history, live messages on every device, one visitor for agents. A browser id once used by a
 * signed-in user never shows that user's history to another user or to an anonymous hello.
 */
class SignedVisitorTest extends RelayTest {

    static Frame.Hello signedHello(String visitorId, String userId, String userHash) {
        return new Frame.Hello(Role.VISITOR, RelayFixture.SITE, null,
                new Frame.VisitorInfo(visitorId, "User " + userId, null, Map.of(), userId, userHash),
                Map.of(), new Frame.ClientInfo("test", "1"));
    }

    /** A device of signed-in user {@code userId}, its browser's id being {@code visitorId}, hello sent. */
    WsClient device(String visitorId, String userId) throws Exception {
        WsClient ws = WsClient.connect(relay.ws("/ws/visitor"));
        ws.send(signedHello(visitorId, userId, VisitorIdentity.userHash(RelayFixture.SITE_SECRET, userId)));
        return ws;
    }

    static List<String> convIds(JsonNode welcome) {
        List<String> out = new ArrayList<>();
        welcome.get("conversations").forEach(c -> out.add(c.get("id").asText()));
        return out;
    }

    static boolean isMsg(JsonNode f, String body) {
        return "msg".equals(f.path("type").asText()) && body.equals(f.path("body").asText());
    }

    @Test
    void sameUserOnTwoDevices_isOneVisitor_withOneHistory_andLiveMessagesReachBoth() throws Exception {
        String phoneId = RelayFixture.newVisitorId();
        String laptopId = RelayFixture.newVisitorId();
        try (WsClient phone = device(phoneId, "42")) {
            assertThat(phone.next("welcome").get("you").get("id").asText()).isEqualTo(phoneId);
            String conv = phone.say("asked on the phone").get("conv").asText();

            try (WsClient laptop = device(laptopId, "42")) {
                JsonNode welcome = laptop.next("welcome");
                assertThat(welcome.get("you").get("id").asText()).as("the user's one visitor").isEqualTo(phoneId);
                assertThat(convIds(welcome)).containsExactly(conv);
                laptop.next(f -> isMsg(f, "asked on the phone"), "the phone's message, replayed");

                JsonNode ack = laptop.say("and on the laptop");
                assertThat(ack.get("conv").asText()).as("the same conversation").isEqualTo(conv);
                JsonNode onPhone = phone.next(f -> isMsg(f, "and on the laptop"), "the laptop's message, live");
                assertThat(onPhone.get("from").get("id").asText()).isEqualTo(phoneId);
            }
        }
    }

    @Test
    void closedConversationOfOneDevice_isPagedFromTheOther_andListedOnceForAgents() throws Exception {
        String phoneId = RelayFixture.newVisitorId();
        String conv;
        try (WsClient phone = device(phoneId, "42")) {
            phone.next("welcome");
            conv = phone.say("an old question").get("conv").asText();
            phone.send(new Frame.Close(conv));
            phone.next(f -> "conv".equals(f.path("type").asText()) && "closed".equals(f.path("conv").path("status").asText()),
                    "the close");
        }
        try (WsClient laptop = device(RelayFixture.newVisitorId(), "42")) {
            laptop.next("welcome");
            assertThat(laptop.history(conv)).extracting(m -> m.get("body").asText()).containsExactly("an old question");
        }
        JsonNode panel = relay.apiOk("/api/visitors/shop/" + phoneId + "/conversations", relay.token("bob"));
        assertThat(RelayFixture.conversationIds(panel)).containsExactly(conv);
    }

    @Test
    void newUserOnTwoDevicesAtOnce_getsOneVisitor() throws Exception {
        try (WsClient one = device(RelayFixture.newVisitorId(), "new-user");
             WsClient two = device(RelayFixture.newVisitorId(), "new-user")) {
            assertThat(one.next("welcome").get("you").get("id").asText())
                    .isEqualTo(two.next("welcome").get("you").get("id").asText());
        }
    }

    @Test
    void anotherUserOnTheSameBrowserId_getsANewVisitorOfTheirOwn_andNoneOfTheFirstUsersHistory() throws Exception {
        String browserId = RelayFixture.newVisitorId();
        String convOfA;
        try (WsClient a = device(browserId, "alice-user")) {
            a.next("welcome");
            convOfA = a.say("my address is 1 Main St").get("conv").asText();
        }
        try (WsClient b = device(browserId, "bob-user")) {
            JsonNode welcome = b.next("welcome");
            String bVisitor = welcome.get("you").get("id").asText();
            assertThat(bVisitor).as("never the first user's visitor").isNotEqualTo(browserId);
            assertThat(VisitorIdentity.isWellFormedId(bVisitor)).isTrue();
            assertThat(welcome.get("conversations")).isEmpty();
            b.send(new Frame.Sync(convOfA, null, 0L, 50));
            assertThat(b.next("error").get("code").asText()).isEqualTo("unknown_conv");
            assertThat(b.say("hello, I am B").get("conv").asText()).isNotEqualTo(convOfA);
        }
        try (WsClient bElsewhere = device(RelayFixture.newVisitorId(), "bob-user")) {
            JsonNode welcome = bElsewhere.next("welcome");
            assertThat(welcome.get("you").get("id").asText()).as("B's visitor, made on A's browser, is B's everywhere")
                    .isNotEqualTo(browserId);
            assertThat(convIds(welcome)).doesNotContain(convOfA).hasSize(1);
        }
    }

    @Test
    void anonymousHello_withAnIdUsedByASignedInUser_isRefused_identityRequired() throws Exception {
        String phoneId = RelayFixture.newVisitorId();
        String laptopId = RelayFixture.newVisitorId();
        try (WsClient phone = device(phoneId, "42"); WsClient laptop = device(laptopId, "42")) {
            phone.next("welcome");
            laptop.next("welcome");
            phone.say("private question");
        }
        for (String usedId : List.of(phoneId, laptopId)) {
            try (WsClient loggedOut = relay.visitor(usedId)) {
                JsonNode error = loggedOut.next(f -> !"ping".equals(f.path("type").asText()), "the answer to hello");
                assertThat(error.get("type").asText()).isEqualTo("error");
                assertThat(error.get("code").asText()).isEqualTo("identity_required");
                assertThat(loggedOut.awaitClose(Duration.ofSeconds(5))).isEqualTo(1008);
            }
            HttpResponse<String> policy = relay.post("/api/files/policy",
                    "{\"site\":\"shop\",\"visitor\":\"" + usedId + "\"}");
            assertThat(policy.statusCode()).isEqualTo(403);
            assertThat(FrameCodec.parse(policy.body()).get("code").asText()).isEqualTo("identity_required");
        }
        try (WsClient fresh = relay.visitor(RelayFixture.newVisitorId())) {
            assertThat(fresh.next("welcome").get("conversations")).as("a new anonymous id starts empty").isEmpty();
        }
    }

    @Test
    void anonymousTabOfABrowser_isClosed_whenTheBrowserSignsIn() throws Exception {
        String browserId = RelayFixture.newVisitorId();
        try (WsClient anonymousTab = relay.visitor(browserId)) {
            anonymousTab.next("welcome");
            try (WsClient signedTab = device(browserId, "42")) {
                signedTab.next("welcome");
                assertThat(anonymousTab.next("error").get("code").asText()).isEqualTo("identity_required");
                assertThat(anonymousTab.awaitClose(Duration.ofSeconds(5))).isEqualTo(1008);
            }
        }
    }

    @Test
    void forgedUserHash_getsBadIdentity_andTheRightOneTheUsersVisitor() throws Exception {
        String phoneId = RelayFixture.newVisitorId();
        try (WsClient phone = device(phoneId, "42")) {
            phone.next("welcome");
        }
        String laptopId = RelayFixture.newVisitorId();
        try (WsClient forged = WsClient.connect(relay.ws("/ws/visitor"))) {
            forged.send(signedHello(laptopId, "42", VisitorIdentity.userHash(RelayFixture.SITE_SECRET, "43")));
            assertThat(forged.next("error").get("code").asText()).isEqualTo("bad_identity");
            assertThat(forged.awaitClose(Duration.ofSeconds(5))).isEqualTo(1008);
        }
        HttpResponse<String> policy = relay.post("/api/files/policy", "{\"site\":\"shop\",\"visitor\":\"" + laptopId
                + "\",\"userId\":\"42\",\"userHash\":\"" + VisitorIdentity.userHash(RelayFixture.SITE_SECRET, "43") + "\"}");
        assertThat(policy.statusCode()).isEqualTo(403);
        try (WsClient laptop = device(laptopId, "42")) {
            assertThat(laptop.next("welcome").get("you").get("id").asText()).isEqualTo(phoneId);
        }
    }

    @Test
    void filePolicyOfTheSecondDevice_isForTheUsersVisitor() throws Exception {
        String phoneId = RelayFixture.newVisitorId();
        String laptopId = RelayFixture.newVisitorId();
        try (WsClient phone = device(phoneId, "42")) {
            phone.next("welcome");
            HttpResponse<String> r = relay.post("/api/files/policy", "{\"site\":\"shop\",\"visitor\":\"" + laptopId
                    + "\",\"userId\":\"42\",\"userHash\":\"" + VisitorIdentity.userHash(RelayFixture.SITE_SECRET, "42") + "\"}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            String prefix = FrameCodec.parse(r.body()).get("key").asText();
            assertThat(prefix).endsWith("/v/shop/" + phoneId + "/");

            // A file under that prefix is the user's own upload on every device.
            String key = prefix + "r1/receipt.png";
            phone.send(new Frame.Send("c-file", null, "image", null, new Frame.FileRef(key, "receipt.png", 10L, "image/png")));
            assertThat(phone.next(f -> !"ping".equals(f.path("type").asText()) && !"service".equals(f.path("type").asText()),
                    "the answer to the send").get("type").asText()).isEqualTo("ack");
        }
    }

    @Test
    void fileOfTheUser_opensFromEveryDevice_withOrWithoutUserId_butNotFromAStranger() throws Exception {
        String phoneId = RelayFixture.newVisitorId();
        String laptopId = RelayFixture.newVisitorId();
        try (WsClient phone = device(phoneId, "42"); WsClient laptop = device(laptopId, "42")) {
            phone.next("welcome");
            laptop.next("welcome");
        }
        String key = URLEncoder.encode("kefu/v/shop/" + phoneId + "/r1/receipt.png", StandardCharsets.UTF_8);
        String signed = "&userId=42&userHash=" + VisitorIdentity.userHash(RelayFixture.SITE_SECRET, "42");
        assertThat(relay.get("/api/files/url?site=shop&visitor=" + laptopId + "&key=" + key + signed).statusCode())
                .isEqualTo(200);
        // Widgets from before send no userId with a download: the laptop's id still reads as the user.
        assertThat(relay.get("/api/files/url?site=shop&visitor=" + laptopId + "&key=" + key).statusCode())
                .isEqualTo(200);
        assertThat(relay.get("/api/files/url?site=shop&visitor=" + RelayFixture.newVisitorId() + "&key=" + key)
                .statusCode()).isEqualTo(403);
    }

    @Test
    void agentSeesOneVisitorForTwoDevices_online_untilTheLastLeaves() throws Exception {
        String phoneId = RelayFixture.newVisitorId();
        try (WsClient agent = relay.agent("alice")) {
            agent.next("welcome");
            agent.next("visitors");
            WsClient phone = device(phoneId, "42");
            phone.next("welcome");
            assertThat(agent.next("visitor").get("visitor").get("id").asText()).isEqualTo(phoneId);
            WsClient laptop = device(RelayFixture.newVisitorId(), "42");
            laptop.next("welcome");
            try (WsClient late = relay.agent("bob")) {
                late.next("welcome");
                JsonNode list = late.next("visitors").get("visitors");
                assertThat(list).hasSize(1);
                assertThat(list.get(0).get("id").asText()).isEqualTo(phoneId);
            }
            phone.close();
            laptop.page("https://shop.example/cart", "Cart");
            JsonNode page = agent.next("visitor");
            assertThat(page.get("event").asText()).as("no second online, no offline while the laptop stays")
                    .isEqualTo("page");
            assertThat(page.get("visitor").get("id").asText()).isEqualTo(phoneId);
            laptop.close();
            assertThat(agent.next("visitor").get("event").asText()).isEqualTo("offline");
        }
    }

    @Test
    void blockingTheUsersVisitor_disconnectsAndRefusesEveryDevice() throws Exception {
        String phoneId = RelayFixture.newVisitorId();
        String laptopId = RelayFixture.newVisitorId();
        try (WsClient phone = device(phoneId, "42"); WsClient laptop = device(laptopId, "42")) {
            phone.next("welcome");
            laptop.next("welcome");
            HttpResponse<String> r = relay.api("POST", "/api/blocks", relay.token("bob"),
                    "{\"site\":\"shop\",\"visitor\":\"" + phoneId + "\",\"reason\":\"spam\"}");
            assertThat(r.statusCode()).isEqualTo(201);
            assertThat(laptop.next("error").get("code").asText()).isEqualTo("not_allowed");
            assertThat(laptop.awaitClose(Duration.ofSeconds(5))).isEqualTo(1008);
        }
        try (WsClient again = device(laptopId, "42")) {
            assertThat(again.next("error").get("code").asText()).isEqualTo("not_allowed");
        }
    }
}

package dev.kefu.relay.queue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The customer-service workflow against a real relay: queue, assignment, leave-a-message, welcome, auto-close. */
class WorkflowTest {
    @TempDir
    Path data;
    RelayFixture relay;
    String adminToken;

    @BeforeEach
    void start() throws Exception {
        relay = RelayFixture.start(data);
        adminToken = relay.token("alice");
    }

    @AfterEach
    void stop() {
        relay.close();
    }

    JsonNode admin(String method, String path, String body) throws Exception {
        HttpResponse<String> r = relay.api(method, path, adminToken, body);
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isBetween(200, 299);
        return FrameCodec.parse(r.body());
    }

    String agentId(String username) throws Exception {
        for (JsonNode a : admin("GET", "/api/admin/agents", null).get("agents")) {
            if (a.get("username").asText().equals(username)) {
                return a.get("id").asText();
            }
        }
        throw new AssertionError("no agent " + username);
    }

    static boolean conv(JsonNode f, String status) {
        return "conv".equals(f.path("type").asText()) && status.equals(f.get("conv").get("status").asText());
    }

    @Test
    void roundRobinWithCapacityTwo_givesTwoChatsEach_queuesTheFifth_andAssignsItWhenAChatCloses() throws Exception {
        admin("PUT", "/api/admin/sites/shop", "{\"assignment\":\"round_robin\"}");
        String aliceId = agentId("alice");
        String bobId = agentId("bob");
        admin("PUT", "/api/admin/agents/" + aliceId, "{\"capacity\":2}");
        admin("PUT", "/api/admin/agents/" + bobId, "{\"capacity\":2}");
        try (WsClient alice = relay.agent("alice"); WsClient bob = relay.agent("bob")) {
            alice.next("welcome");
            bob.next("welcome");
            List<WsClient> visitors = new ArrayList<>();
            Map<String, String> convOfVisitor = new HashMap<>();
            try {
                for (int i = 0; i < 5; i++) {
                    WsClient v = relay.visitor(RelayFixture.newVisitorId());
                    visitors.add(v);
                    v.next("welcome");
                    v.send(new Frame.Send("c" + i, null, "text", "visitor " + i + " needs help", null));
                    convOfVisitor.put(v.next("ack").get("conv").asText(), "v" + i);
                }
                Map<String, String> agentOf = new HashMap<>();
                while (agentOf.size() < 4) {
                    JsonNode open = alice.next(f -> conv(f, "open"), "an assignment");
                    agentOf.put(open.get("conv").get("id").asText(), open.get("conv").get("agent").asText());
                }
                assertThat(agentOf.values().stream().filter(aliceId::equals).count()).isEqualTo(2);
                assertThat(agentOf.values().stream().filter(bobId::equals).count()).isEqualTo(2);

                String waitingConv = convOfVisitor.keySet().stream().filter(c -> !agentOf.containsKey(c)).findFirst().orElseThrow();
                WsClient fifth = visitors.get(Integer.parseInt(convOfVisitor.get(waitingConv).substring(1)));
                JsonNode queue = fifth.next(f -> "queue".equals(f.path("type").asText()) && f.get("position").asInt() == 1,
                        "queue position 1");
                assertThat(queue.get("conv").asText()).isEqualTo(waitingConv);
                assertThat(queue.get("etaSec").asLong()).isPositive();

                String alicesChat = agentOf.entrySet().stream().filter(e -> e.getValue().equals(aliceId))
                        .map(Map.Entry::getKey).findFirst().orElseThrow();
                alice.send(new Frame.Close(alicesChat));
                JsonNode assignedLater = fifth.next(f -> conv(f, "open"), "the fifth visitor's chat opens");
                assertThat(assignedLater.get("conv").get("id").asText()).isEqualTo(waitingConv);
                assertThat(assignedLater.get("conv").get("agent").asText()).isEqualTo(aliceId);
            } finally {
                for (WsClient v : visitors) {
                    v.close();
                }
            }
        }
    }

    @Test
    void visitorArrivingWhenNobodyIsOnline_leavesAMessage_agentAnswersOnLogin_visitorSeesItNextVisit() throws Exception {
        String vid = RelayFixture.newVisitorId();
        String conv;
        try (WsClient visitor = relay.visitor(vid)) {
            visitor.next("welcome");
            JsonNode service = visitor.next("service");
            assertThat(service.get("online").asBoolean()).isFalse();
            assertThat(service.get("reason").asText()).isEqualTo("no_agents");
            visitor.send(new Frame.Send("c1", null, "text", "我想退货，请联系我", null));
            conv = visitor.next("ack").get("conv").asText();
            visitor.send(new Frame.Contact(conv, "Li Lei", "li@example.com", "+86 138 0000 0000", null));
            JsonNode offline = visitor.next(f -> conv(f, "offline") && f.get("conv").has("contact"), "contact stored");
            assertThat(offline.get("conv").get("contact").get("email").asText()).isEqualTo("li@example.com");
        }
        try (WsClient agent = relay.agent("bob")) {
            JsonNode welcome = agent.next("welcome");
            JsonNode left = null;
            for (JsonNode c : welcome.get("conversations")) {
                if (c.get("id").asText().equals(conv)) {
                    left = c;
                }
            }
            assertThat(left).isNotNull();
            assertThat(left.get("status").asText()).isEqualTo("offline");
            assertThat(left.get("contact").get("name").asText()).isEqualTo("Li Lei");
            assertThat(agent.next("msg").get("body").asText()).isEqualTo("我想退货，请联系我");
            agent.send(new Frame.Send("a1", conv, "text", "好的，已为您办理退货", null));
            agent.next("ack");
        }
        try (WsClient nextVisit = relay.visitor(vid)) {
            JsonNode welcome = nextVisit.next("welcome");
            assertThat(welcome.get("conversations")).anySatisfy(c -> assertThat(c.get("id").asText()).isEqualTo(conv));
            List<JsonNode> msgs = nextVisit.collect("msg", 2);
            assertThat(msgs.get(1).get("body").asText()).isEqualTo("好的，已为您办理退货");
            assertThat(msgs.get(1).get("from").get("role").asText()).isEqualTo("agent");
        }
    }

    @Test
    void leftMessage_staysOfflineWhenAnAgentComesOnline_takesTheVisitorsLaterMessages_andIsNeverClosedIdle() throws Exception {
        admin("PUT", "/api/admin/sites/shop", "{\"assignment\":\"round_robin\",\"autoCloseSec\":1}");
        String vid = RelayFixture.newVisitorId();
        String left;
        try (WsClient visitor = relay.visitor(vid)) {
            visitor.next("welcome");
            assertThat(visitor.next("service").get("online").asBoolean()).isFalse();
            left = visitor.say("first visit: please call me back").path("conv").asText();
        }
        try (WsClient bob = relay.agent("bob")) {
            assertThat(bob.next("welcome").get("conversations")).anySatisfy(c -> {
                assertThat(c.get("id").asText()).isEqualTo(left);
                assertThat(c.get("status").asText()).isEqualTo("offline");
            });
            try (WsClient later = relay.visitor(vid)) {
                assertThat(later.next("welcome").get("conversations")).extracting(c -> c.get("id").asText())
                        .containsExactly(left);
                assertThat(later.say("second visit: still waiting for your call").path("conv").asText())
                        .as("a later visit's message goes into the left conversation").isEqualTo(left);
            }
            // Another visitor's chat, now that bob is online: it waits, is given to bob, then closes for being
            // idle. Each of those queue runs would have taken the left message too, were it queued or idle-closed.
            String other;
            try (WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
                other = visitor.say("hello").path("conv").asText();
            }
            bob.next(f -> conv(f, "open") && other.equals(f.get("conv").get("id").asText()), "the other chat given to bob");
            bob.next(f -> conv(f, "closed") && other.equals(f.get("conv").get("id").asText()), "the other chat closed idle");
        }
        JsonNode listed = relay.apiOk("/api/visitors/shop/" + vid + "/conversations", relay.token("bob"));
        assertThat(listed.get("conversations")).singleElement().satisfies(c -> {
            assertThat(c.get("id").asText()).isEqualTo(left);
            assertThat(c.get("status").asText()).isEqualTo("offline");
            assertThat(c.get("lastSeq").asLong()).isEqualTo(2);
            assertThat(c.path("agent").isNull() || c.path("agent").isMissingNode()).as("nobody has it").isTrue();
        });
    }

    @Test
    void visitorConnectedBeforeTheQueuesFirstRun_isToldWhenTheFirstAgentComesOnline(@TempDir Path own) throws Exception {
        // a queue tick far away: bob's arrival is the queue's first run since the start, as after a restart
        // when visitors and agents reconnect within the first tick
        try (RelayFixture restarted = RelayFixture.start(own, c -> c.withQueueTick(600_000));
             WsClient visitor = restarted.visitor(RelayFixture.newVisitorId())) {
            visitor.next("welcome");
            assertThat(visitor.next("service").get("online").asBoolean()).isFalse();
            try (WsClient bob = restarted.agent("bob")) {
                bob.next("welcome");
                assertThat(visitor.next("service").get("online").asBoolean()).as("an agent can answer now").isTrue();
            }
        }
    }

    @Test
    void outsideBusinessHours_visitorIsToldClosed_andTheMessageIsLeftOffline() throws Exception {
        // a week with no open hours at all
        admin("PUT", "/api/admin/sites/shop", "{\"businessHours\":{\"tz\":\"Asia/Shanghai\",\"week\":{}}}");
        try (WsClient agent = relay.agent("alice"); WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            agent.next("welcome");
            visitor.next("welcome");
            JsonNode service = visitor.next("service");
            assertThat(service.get("online").asBoolean()).isFalse();
            assertThat(service.get("reason").asText()).isEqualTo("closed");
            visitor.send(new Frame.Send("c1", null, "text", "anyone?", null));
            visitor.next("ack");
            assertThat(agent.next("conv").get("conv").get("status").asText()).isEqualTo("offline");
        }
    }

    @Test
    void welcomeMessage_followsTheFirstMessage_asASystemMessage() throws Exception {
        admin("PUT", "/api/admin/sites/shop", "{\"welcome\":\"欢迎光临！客服马上就来。\"}");
        try (WsClient agent = relay.agent("alice"); WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            agent.next("welcome");
            visitor.next("welcome");
            assertThat(visitor.next("service").get("welcome").asText()).isEqualTo("欢迎光临！客服马上就来。");
            visitor.send(new Frame.Send("c1", null, "text", "hello", null));
            visitor.next("ack");
            List<JsonNode> msgs = visitor.collect("msg", 2);
            assertThat(msgs.get(1).get("seq").asLong()).isEqualTo(2);
            assertThat(msgs.get(1).get("from").get("role").asText()).isEqualTo("system");
            assertThat(msgs.get(1).get("body").asText()).isEqualTo("欢迎光临！客服马上就来。");
            assertThat(agent.collect("msg", 2).get(1).get("from").get("role").asText()).isEqualTo("system");
        }
    }

    @Test
    void idleConversation_closesItself() throws Exception {
        admin("PUT", "/api/admin/sites/shop", "{\"autoCloseSec\":1}");
        try (WsClient agent = relay.agent("alice"); WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            agent.next("welcome");
            visitor.next("welcome");
            visitor.send(new Frame.Send("c1", null, "text", "brb", null));
            String conv = visitor.next("ack").get("conv").asText();
            JsonNode closed = visitor.next(f -> conv(f, "closed"), "auto-close");
            assertThat(closed.get("conv").get("id").asText()).isEqualTo(conv);
        }
    }

    @Test
    void awayAgent_getsNoNewChats_butOnlineOneDoes_leastBusy() throws Exception {
        admin("PUT", "/api/admin/sites/shop", "{\"assignment\":\"least_busy\"}");
        String bobId = agentId("bob");
        try (WsClient alice = relay.agent("alice"); WsClient bob = relay.agent("bob")) {
            alice.next("welcome");
            bob.next("welcome");
            alice.send(new Frame.AgentStatus("away"));
            alice.next(f -> "agents".equals(f.path("type").asText()) && f.get("agents").findValuesAsText("status").contains("away"),
                    "alice away");
            for (int i = 0; i < 3; i++) {
                try (WsClient v = relay.visitor(RelayFixture.newVisitorId())) {
                    v.next("welcome");
                    v.send(new Frame.Send("c" + i, null, "text", "hi " + i, null));
                    v.next("ack");
                    JsonNode open = v.next(f -> conv(f, "open"), "assigned");
                    assertThat(open.get("conv").get("agent").asText()).isEqualTo(bobId);
                }
            }
        }
    }

    @Test
    void agentsList_showsStatusAndLoad_onHelloAndOverRest() throws Exception {
        try (WsClient alice = relay.agent("alice")) {
            alice.next("welcome");
            JsonNode list = alice.next("agents");
            assertThat(list.get("agents")).anySatisfy(a -> {
                assertThat(a.get("name").asText()).isEqualTo("Alice 小爱");
                assertThat(a.get("status").asText()).isEqualTo("online");
            });
            assertThat(list.get("agents")).anySatisfy(a -> assertThat(a.get("status").asText()).isEqualTo("offline"));
            JsonNode rest = FrameCodec.parse(relay.api("GET", "/api/agents", relay.token("bob"), null).body());
            assertThat(rest.get("agents")).hasSize(3);
        }
    }
}

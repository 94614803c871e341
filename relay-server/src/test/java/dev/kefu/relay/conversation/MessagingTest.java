package dev.kefu.relay.conversation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayTest;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class MessagingTest extends RelayTest {

    @Test
    void roundTrip_visitorToAgentAndBack_seqGaplessAndEmojiByteExact() throws Exception {
        try (WsClient agent = relay.agent("alice"); WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            agent.next("welcome");
            visitor.next("welcome");
            List<String> bodies = new ArrayList<>();
            for (int i = 1; i <= 30; i++) {
                String body = "第" + i + "条 hello 👋🏽 𝄞 \"quoted\" \\ <b>";
                bodies.add(body);
                visitor.send(new Frame.Send("c-" + i, null, "text", body, null));
            }
            List<JsonNode> acks = visitor.collect("ack", 30);
            String conv = acks.get(0).get("conv").asText();
            assertThat(acks).extracting(a -> a.get("seq").asLong()).containsExactlyElementsOf(range(1, 30));
            assertThat(acks).extracting(a -> a.get("conv").asText()).containsOnly(conv);

            JsonNode waiting = agent.next("conv");
            assertThat(waiting.get("conv").get("status").asText()).isEqualTo("waiting");
            List<JsonNode> received = agent.collect("msg", 30);
            assertThat(received).extracting(m -> m.get("seq").asLong()).containsExactlyElementsOf(range(1, 30));
            for (int i = 0; i < 30; i++) {
                assertThat(received.get(i).get("body").asText().getBytes(StandardCharsets.UTF_8))
                        .isEqualTo(bodies.get(i).getBytes(StandardCharsets.UTF_8));
                assertThat(received.get(i).get("from").get("role").asText()).isEqualTo("visitor");
            }

            agent.send(new Frame.Accept(conv));
            JsonNode open = agent.next("conv");
            assertThat(open.get("conv").get("status").asText()).isEqualTo("open");
            assertThat(open.get("conv").get("agentName").asText()).isEqualTo("Alice 小爱");

            agent.send(new Frame.Send("a-1", conv, "text", "您好 😀 how can I help?", null));
            assertThat(agent.next("ack").get("seq").asLong()).isEqualTo(31);
            JsonNode reply = visitor.next(f -> "msg".equals(f.path("type").asText()) && f.get("seq").asLong() == 31, "reply");
            assertThat(reply.get("body").asText()).isEqualTo("您好 😀 how can I help?");
            assertThat(reply.get("from").get("role").asText()).isEqualTo("agent");
        }
    }

    @Test
    void sendingConnection_getsAckBeforeItsOwnMsg() throws Exception {
        try (WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            visitor.next("welcome");
            visitor.send(new Frame.Send("c-1", null, "text", "hi", null));
            JsonNode first = visitor.next(f -> f.path("type").asText().matches("ack|msg"), "ack or msg");
            assertThat(first.get("type").asText()).isEqualTo("ack");
            assertThat(visitor.next("msg").get("cid").asText()).isEqualTo("c-1");
        }
    }

    @Test
    void sameCidSentThreeTimes_storesOneMessage_andAnswersThreeIdenticalAcks() throws Exception {
        String vid = RelayFixture.newVisitorId();
        try (WsClient agent = relay.agent("alice"); WsClient visitor = relay.visitor(vid)) {
            agent.next("welcome");
            visitor.next("welcome");
            for (int i = 0; i < 3; i++) {
                visitor.send(new Frame.Send("same-cid", null, "text", "only once", null));
            }
            List<JsonNode> acks = visitor.collect("ack", 3);
            assertThat(acks).extracting(a -> a.get("seq").asLong()).containsOnly(1L);
            assertThat(acks).extracting(a -> a.get("ts").asLong()).containsOnly(acks.get(0).get("ts").asLong());
            String conv = acks.get(0).get("conv").asText();

            visitor.send(new Frame.Send("next-cid", null, "text", "second", null));
            assertThat(visitor.next("ack").get("seq").asLong()).isEqualTo(2);
            List<JsonNode> msgs = agent.collect("msg", 2);
            assertThat(msgs).extracting(m -> m.get("cid").asText()).containsExactly("same-cid", "next-cid");

            visitor.send(new Frame.Sync(conv, null, 0L, 100));
            JsonNode page = visitor.next("msgs");
            assertThat(page.get("items")).hasSize(2);
        }
        // after a reconnect, a resend still answers the first ack
        try (WsClient again = relay.visitor(vid)) {
            again.next("welcome");
            again.send(new Frame.Send("same-cid", null, "text", "only once", null));
            assertThat(again.next("ack").get("seq").asLong()).isEqualTo(1);
        }
    }

    @Test
    void everyAgentSeesWaitingConversations_andVisitorsSeeOnlyTheirOwn() throws Exception {
        String v1 = RelayFixture.newVisitorId();
        String v2 = RelayFixture.newVisitorId();
        try (WsClient alice = relay.agent("alice"); WsClient bob = relay.agent("bob");
             WsClient one = relay.visitor(v1); WsClient two = relay.visitor(v2)) {
            alice.next("welcome");
            bob.next("welcome");
            one.next("welcome");
            two.next("welcome");
            one.send(new Frame.Send("c1", null, "text", "from one", null));
            String conv = one.next("ack").get("conv").asText();
            assertThat(alice.next("msg").get("conv").asText()).isEqualTo(conv);
            assertThat(bob.next("msg").get("conv").asText()).isEqualTo(conv);

            two.send(new Frame.Send("c1", conv, "text", "into someone else's conversation", null));
            assertThat(two.next("error").get("code").asText()).isEqualTo("unknown_conv");
            two.send(new Frame.Sync(conv, null, 0L, 10));
            assertThat(two.next("error").get("code").asText()).isEqualTo("unknown_conv");
            assertThat(two.drain()).noneMatch(f -> "msg".equals(f.path("type").asText()));
        }
    }

    @Test
    void agentLimitedToOtherSite_doesNotSeeThisSitesConversations() throws Exception {
        try (WsClient carol = relay.agent("carol"); WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            carol.next("welcome");
            visitor.next("welcome");
            visitor.send(new Frame.Send("c1", null, "text", "hello shop", null));
            String conv = visitor.next("ack").get("conv").asText();
            carol.send(new Frame.Accept(conv));
            assertThat(carol.next("error").get("code").asText()).isEqualTo("unknown_conv");
            assertThat(carol.drain()).noneMatch(f -> "msg".equals(f.path("type").asText()));
        }
    }

    @Test
    void syncPagesHistoryBackwardsAndForwards() throws Exception {
        try (WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            visitor.next("welcome");
            for (int i = 1; i <= 120; i++) {
                visitor.send(new Frame.Send("c" + i, null, "text", "m" + i, null));
            }
            String conv = visitor.collect("ack", 120).get(0).get("conv").asText();

            visitor.send(new Frame.Sync(conv, null, null, 50));
            JsonNode latest = visitor.next("msgs");
            assertThat(latest.get("items")).extracting(m -> m.get("seq").asLong()).containsExactlyElementsOf(range(71, 120));
            assertThat(latest.get("more").asBoolean()).isTrue();

            visitor.send(new Frame.Sync(conv, 71L, null, 50));
            JsonNode older = visitor.next("msgs");
            assertThat(older.get("items")).extracting(m -> m.get("seq").asLong()).containsExactlyElementsOf(range(21, 70));

            visitor.send(new Frame.Sync(conv, 21L, null, 50));
            JsonNode oldest = visitor.next("msgs");
            assertThat(oldest.get("items")).hasSize(20);
            assertThat(oldest.get("more").asBoolean()).isFalse();

            visitor.send(new Frame.Sync(conv, null, 100L, 50));
            JsonNode newer = visitor.next("msgs");
            assertThat(newer.get("items")).extracting(m -> m.get("seq").asLong()).containsExactlyElementsOf(range(101, 120));
            assertThat(newer.get("more").asBoolean()).isFalse();
        }
    }

    @Test
    void readReceipt_isStoredAndRelayedToTheOtherSide() throws Exception {
        try (WsClient agent = relay.agent("alice"); WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            agent.next("welcome");
            visitor.next("welcome");
            visitor.send(new Frame.Send("c1", null, "text", "are you there?", null));
            String conv = visitor.next("ack").get("conv").asText();
            agent.next("msg");
            agent.send(new Frame.Read(conv, 1L, null));
            JsonNode read = visitor.next("read");
            assertThat(read.get("seq").asLong()).isEqualTo(1);
            assertThat(read.get("from").get("role").asText()).isEqualTo("agent");

            agent.send(new Frame.Read(conv, 99L, null));
            assertThat(agent.next("error").get("code").asText()).isEqualTo("bad_frame");
        }
    }

    @Test
    void typing_agentsSeeTheDraft_visitorOnlySeesThatAgentTypes() throws Exception {
        try (WsClient agent = relay.agent("alice"); WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            agent.next("welcome");
            visitor.next("welcome");
            visitor.send(new Frame.Send("c1", null, "text", "hi", null));
            String conv = visitor.next("ack").get("conv").asText();

            visitor.send(new Frame.Typing(conv, "I want to return my 鞋子", null));
            JsonNode draft = agent.next("typing");
            assertThat(draft.get("text").asText()).isEqualTo("I want to return my 鞋子");
            assertThat(draft.get("from").get("role").asText()).isEqualTo("visitor");

            agent.send(new Frame.Typing(conv, "secret draft of the agent", null));
            JsonNode seen = visitor.next("typing");
            assertThat(seen.has("text")).isFalse();
            assertThat(seen.get("from").get("role").asText()).isEqualTo("agent");
        }
    }

    @Test
    void closedConversation_refusesSends_andVisitorsNextSendOpensANewOne() throws Exception {
        try (WsClient agent = relay.agent("alice"); WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            agent.next("welcome");
            visitor.next("welcome");
            visitor.send(new Frame.Send("c1", null, "text", "hi", null));
            String conv = visitor.next("ack").get("conv").asText();
            agent.send(new Frame.Close(conv));
            assertThat(visitor.next(f -> isConv(f, "closed"), "closed conv").get("conv").get("id").asText()).isEqualTo(conv);

            visitor.send(new Frame.Send("c2", conv, "text", "still there?", null));
            JsonNode err = visitor.next("error");
            assertThat(err.get("code").asText()).isEqualTo("conv_closed");
            assertThat(err.get("cid").asText()).isEqualTo("c2");

            visitor.send(new Frame.Send("c3", null, "text", "new question", null));
            JsonNode ack = visitor.next("ack");
            assertThat(ack.get("conv").asText()).isNotEqualTo(conv);
            assertThat(ack.get("seq").asLong()).isEqualTo(1);
        }
    }

    @Test
    void transfer_handsTheConversationToAnotherAgent() throws Exception {
        try (WsClient alice = relay.agent("alice"); WsClient bob = relay.agent("bob");
             WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            JsonNode bobWelcome = bob.next("welcome");
            String bobId = bobWelcome.get("you").get("id").asText();
            alice.next("welcome");
            visitor.next("welcome");
            visitor.send(new Frame.Send("c1", null, "text", "hi", null));
            String conv = visitor.next("ack").get("conv").asText();
            alice.send(new Frame.Accept(conv));
            assertThat(bob.next(f -> isConv(f, "open"), "open conv").get("conv").get("agent").asText())
                    .isNotEqualTo(bobId);

            bob.send(new Frame.Accept(conv));
            assertThat(bob.next("error").get("code").asText()).isEqualTo("not_allowed");

            alice.send(new Frame.Transfer(conv, bobId));
            JsonNode moved = bob.next(f -> isConv(f, "open") && bobId.equals(f.get("conv").path("agent").asText()), "transfer");
            assertThat(moved.get("conv").get("agentName").asText()).isEqualTo("Bob");

            alice.send(new Frame.Transfer(conv, "a-nobody"));
            assertThat(alice.next("error").get("code").asText()).isEqualTo("bad_frame");
        }
    }

    @Test
    void invite_opensAConversationWithABrowsingVisitor_ackedLikeASend() throws Exception {
        String vid = RelayFixture.newVisitorId();
        try (WsClient agent = relay.agent("alice"); WsClient visitor = relay.visitor(vid)) {
            agent.next("welcome");
            visitor.next("welcome");
            agent.next(f -> "visitor".equals(f.path("type").asText()) && vid.equals(f.get("visitor").get("id").asText()),
                    "visitor online");

            agent.send(new Frame.Invite("inv-1", vid, "Need help choosing a size? 需要帮忙吗？"));
            JsonNode ack = agent.next("ack");
            assertThat(ack.get("seq").asLong()).isEqualTo(1);
            JsonNode conv = visitor.next(f -> isConv(f, "open"), "open conv");
            assertThat(conv.get("conv").get("agentName").asText()).isEqualTo("Alice 小爱");
            JsonNode msg = visitor.next("msg");
            assertThat(msg.get("body").asText()).isEqualTo("Need help choosing a size? 需要帮忙吗？");

            agent.send(new Frame.Invite("inv-1", vid, "Need help choosing a size? 需要帮忙吗？"));
            assertThat(agent.next("ack").get("seq").asLong()).isEqualTo(1);

            visitor.send(new Frame.Send("c1", null, "text", "yes please", null));
            JsonNode reply = visitor.next("ack");
            assertThat(reply.get("conv").asText()).isEqualTo(ack.get("conv").asText());
            assertThat(reply.get("seq").asLong()).isEqualTo(2);
        }
    }

    static boolean isConv(JsonNode f, String status) {
        return "conv".equals(f.path("type").asText()) && status.equals(f.get("conv").get("status").asText());
    }

    static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(i);
        }
        return out;
    }

    static Map<String, Long> resume(String conv, long seq) {
        return Map.of(conv, seq);
    }
}

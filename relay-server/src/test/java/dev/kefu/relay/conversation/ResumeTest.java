package dev.kefu.relay.conversation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayTest;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.kefu.relay.conversation.MessagingTest.range;
import static org.assertj.core.api.Assertions.assertThat;

class ResumeTest extends RelayTest {

    @Test
    void agentReconnectingWithResume_getsExactlyTheMissedMessagesInOrder() throws Exception {
        String vid = RelayFixture.newVisitorId();
        String conv;
        try (WsClient visitor = relay.visitor(vid)) {
            visitor.next("welcome");
            WsClient agent = relay.agent("alice");
            agent.next("welcome");
            for (int i = 1; i <= 10; i++) {
                visitor.send(new Frame.Send("c" + i, null, "text", "before " + i, null));
            }
            conv = visitor.collect("ack", 10).get(0).get("conv").asText();
            assertThat(agent.collect("msg", 10)).extracting(m -> m.get("seq").asLong()).containsExactlyElementsOf(range(1, 10));
            agent.abort(); // the cable is pulled: no close handshake
            agent.close();

            for (int i = 11; i <= 25; i++) {
                visitor.send(new Frame.Send("c" + i, null, "text", "while away " + i, null));
            }
            visitor.collect("ack", 15);

            try (WsClient back = relay.agent("alice", Map.of(conv, 10L))) {
                JsonNode welcome = back.next("welcome");
                assertThat(welcome.get("conversations")).anySatisfy(c -> {
                    assertThat(c.get("id").asText()).isEqualTo(conv);
                    assertThat(c.get("lastSeq").asLong()).isEqualTo(25);
                });
                List<JsonNode> missed = back.collect("msg", 15);
                assertThat(missed).extracting(m -> m.get("seq").asLong()).containsExactlyElementsOf(range(11, 25));

                visitor.send(new Frame.Send("c26", null, "text", "live again", null));
                assertThat(back.next("msg").get("seq").asLong()).isEqualTo(26);
                assertThat(back.drain()).noneMatch(f -> "msg".equals(f.path("type").asText()));
            }
        }
    }

    @Test
    void agentNamingThousandsOfConversations_inAHelloAbove64KiB_getsOnlyWhatItMissed() throws Exception {
        // A busy desk: the agent's resume names every conversation it holds. Two are real here; the
        // rest stand for the thousands of others (unknown ids are ignored), taking the hello past the
        // 64 KiB of an ordinary frame.
        List<String> convs = new java.util.ArrayList<>();
        List<WsClient> visitors = new java.util.ArrayList<>();
        try (WsClient agent = relay.agent("alice")) {
            agent.next("welcome");
            for (int v = 0; v < 2; v++) {
                WsClient visitor = relay.visitor(RelayFixture.newVisitorId());
                visitors.add(visitor);
                visitor.next("welcome");
                for (int i = 1; i <= 5; i++) {
                    visitor.send(new Frame.Send("v" + v + "-" + i, null, "text", "held " + i + " 😀", null));
                }
                convs.add(visitor.collect("ack", 5).get(0).get("conv").asText());
            }
            agent.collect("msg", 10);
        }
        try {
            visitors.get(1).send(new Frame.Send("v1-6", null, "text", "while away", null));
            visitors.get(1).collect("ack", 1);

            Map<String, Long> resume = new java.util.LinkedHashMap<>();
            for (int i = 0; i < 3_000; i++) {
                resume.put("c-elsewhere-" + "x".repeat(20) + i, 7L);
            }
            resume.put(convs.get(0), 5L);
            resume.put(convs.get(1), 5L);
            try (WsClient back = relay.agent("alice", resume)) {
                List<JsonNode> frames = new java.util.ArrayList<>();
                do { // the hello's answer ends with the agent list
                    frames.add(back.nextAny());
                } while (!"agents".equals(frames.get(frames.size() - 1).path("type").asText()));
                assertThat(frames.get(0).path("type").asText()).isEqualTo("welcome");
                assertThat(frames).noneMatch(f -> "error".equals(f.path("type").asText()));
                assertThat(frames).filteredOn(f -> "msg".equals(f.path("type").asText()))
                        .extracting(f -> f.get("conv").asText() + "#" + f.get("seq").asLong())
                        .containsExactly(convs.get(1) + "#6");
            }
        } finally {
            for (WsClient v : visitors) {
                v.close();
            }
        }
    }

    @Test
    void visitorWithoutResume_getsItsWholeOpenConversation() throws Exception {
        String vid = RelayFixture.newVisitorId();
        try (WsClient visitor = relay.visitor(vid)) {
            visitor.next("welcome");
            for (int i = 1; i <= 5; i++) {
                visitor.send(new Frame.Send("c" + i, null, "text", "m" + i, null));
            }
            visitor.collect("ack", 5);
        }
        try (WsClient otherTab = relay.visitor(vid)) {
            JsonNode welcome = otherTab.next("welcome");
            assertThat(welcome.get("conversations")).hasSize(1);
            assertThat(otherTab.collect("msg", 5)).extracting(m -> m.get("seq").asLong()).containsExactlyElementsOf(range(1, 5));
        }
    }

    @Test
    void resumeRacingLiveTraffic_deliversEveryMessageOnceInOrder() throws Exception {
        String vid = RelayFixture.newVisitorId();
        try (WsClient visitor = relay.visitor(vid); WsClient agent = relay.agent("alice")) {
            visitor.next("welcome");
            agent.next("welcome");
            visitor.send(new Frame.Send("c0", null, "text", "first", null));
            String conv = visitor.next("ack").get("conv").asText();
            agent.next("msg");
            agent.send(new Frame.Accept(conv));

            // The agent sends 300 messages while a second visitor tab connects and resumes from 1.
            Thread sender = new Thread(() -> {
                for (int i = 1; i <= 300; i++) {
                    agent.send(new Frame.Send("a" + i, conv, "text", "reply " + i, null));
                }
            });
            sender.start();
            try (WsClient tab = relay.visitor(vid, Map.of(conv, 1L))) {
                tab.next("welcome");
                List<JsonNode> got = tab.collect("msg", 300);
                assertThat(got).extracting(m -> m.get("seq").asLong()).containsExactlyElementsOf(range(2, 301));
                sender.join(Duration.ofSeconds(20).toMillis());
                assertThat(tab.drain()).noneMatch(f -> "msg".equals(f.path("type").asText()));
            }
        }
    }

    @Test
    void gracefulShutdown_tellsClientsToReconnect_andKeepsAckedMessages() throws Exception {
        String vid = RelayFixture.newVisitorId();
        WsClient visitor = relay.visitor(vid);
        visitor.next("welcome");
        for (int i = 1; i <= 50; i++) {
            visitor.send(new Frame.Send("c" + i, null, "text", "m" + i, null));
        }
        String conv = visitor.collect("ack", 50).get(0).get("conv").asText();
        relay.close();
        assertThat(visitor.awaitClose(Duration.ofSeconds(10))).isEqualTo(1012);
        visitor.close();

        relay = RelayFixture.start(data);
        try (WsClient back = relay.visitor(vid, Map.of(conv, 40L))) {
            back.next("welcome");
            assertThat(back.collect("msg", 10)).extracting(m -> m.get("seq").asLong()).containsExactlyElementsOf(range(41, 50));
        }
    }
}

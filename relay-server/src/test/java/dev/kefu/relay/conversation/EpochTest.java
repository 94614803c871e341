package dev.kefu.relay.conversation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayTest;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.kefu.relay.conversation.MessagingTest.range;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store's epoch on the wire (docs/protocol.md, "After a restore from backup"): in every
 * welcome, kept across restarts, and a hello whose epoch is not the relay's gets its resume
 * ignored. A new epoch after a restore is tested in {@code dev.kefu.relay.backup.RestoreTest}.
 */
class EpochTest extends RelayTest {

    @Test
    void welcome_carriesTheEpoch_forAgentsAndVisitors_andTheSameAfterARestart() throws Exception {
        String epoch;
        try (WsClient agent = relay.agent("alice"); WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            epoch = agent.next("welcome").path("epoch").asText();
            assertThat(epoch).hasSizeBetween(1, 64);
            assertThat(visitor.next("welcome").path("epoch").asText()).isEqualTo(epoch);
        }
        relay.close();
        relay = RelayFixture.start(data);
        try (WsClient agent = relay.agent("alice")) {
            assertThat(agent.next("welcome").path("epoch").asText()).isEqualTo(epoch);
        }
    }

    @Test
    void agentResumingUnderAnotherEpoch_getsEveryMessageReplayed() throws Exception {
        Chat chat = chatOf(6);
        try (WsClient back = relay.agent("alice", Map.of(chat.conv, 4L), "an-epoch-of-another-history")) {
            assertThat(back.next("welcome").path("epoch").asText()).isEqualTo(chat.epoch);
            assertThat(back.collect("msg", 6)).extracting(m -> m.get("seq").asLong()).containsExactlyElementsOf(range(1, 6));
        } finally {
            chat.visitor.close();
        }
    }

    @Test
    void agentResumingUnderTheCurrentEpoch_getsOnlyWhatItMissed() throws Exception {
        Chat chat = chatOf(6);
        try (WsClient back = relay.agent("alice", Map.of(chat.conv, 4L), chat.epoch)) {
            back.next("welcome");
            List<JsonNode> missed = back.collect("msg", 2);
            assertThat(missed).extracting(m -> m.get("seq").asLong()).containsExactly(5L, 6L);
            // the agents list ends the hello's answer: no other msg came before it
            back.next("agents");
            assertThat(back.received()).filteredOn(f -> "msg".equals(f.path("type").asText())).hasSize(2);
        } finally {
            chat.visitor.close();
        }
    }

    @Test
    void visitorResumingUnderAnotherEpoch_getsItsConversationReplayed() throws Exception {
        Chat chat = chatOf(3);
        chat.visitor.close();
        try (WsClient back = relay.visitor(chat.visitorId, Map.of(chat.conv, 3L), "an-epoch-of-another-history")) {
            assertThat(back.next("welcome").path("epoch").asText()).isEqualTo(chat.epoch);
            assertThat(back.collect("msg", 3)).extracting(m -> m.get("seq").asLong()).containsExactlyElementsOf(range(1, 3));
        }
    }

    private record Chat(String visitorId, WsClient visitor, String conv, String epoch) {}

    /** A visitor (left connected) who sent {@code n} acked messages into one conversation. */
    private Chat chatOf(int n) throws Exception {
        String vid = RelayFixture.newVisitorId();
        WsClient visitor = relay.visitor(vid);
        String epoch = visitor.next("welcome").path("epoch").asText();
        for (int i = 1; i <= n; i++) {
            visitor.send(new Frame.Send("c" + i, null, "text", "m" + i, null));
        }
        String conv = visitor.collect("ack", n).get(0).get("conv").asText();
        return new Chat(vid, visitor, conv, epoch);
    }
}

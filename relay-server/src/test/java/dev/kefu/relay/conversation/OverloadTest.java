package dev.kefu.relay.conversation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.relay.config.RelayConfig;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayTest;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A store that cannot keep up refuses, and a refusal loses nothing: with a write queue of one, a
 * burst of sends is mostly answered {@code server_busy}, each naming the refused message's cid, and
 * a client that resends what was refused (as the widget's outbox does) ends with every message
 * stored exactly once, gapless.
 */
class OverloadTest extends RelayTest {
    static final int MESSAGES = 200;

    @Override
    protected RelayConfig configure(RelayConfig c) {
        return c.withWriteQueue(1, 1).withRateLimit(100_000, 100_000);
    }

    @Test
    void fullWriteQueue_refusesWithTheCid_andResendsAreStoredOnceEach_gapless() throws Exception {
        try (WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            visitor.next("welcome");
            for (int i = 1; i <= MESSAGES; i++) {
                visitor.send(text("c-" + i));
            }
            Map<String, Long> ackedSeq = new HashMap<>();
            Set<String> refusedOnce = new HashSet<>();
            int refusals = 0;
            String conv = null;
            while (ackedSeq.size() < MESSAGES) {
                JsonNode f = visitor.next(x -> x.path("type").asText().matches("ack|error"), "an ack or an error");
                String cid = f.path("cid").asText();
                if ("error".equals(f.get("type").asText())) {
                    assertThat(f.get("code").asText()).isEqualTo("server_busy");
                    assertThat(cid).as("a refusal names the message refused").startsWith("c-");
                    assertThat(ackedSeq).as("a refused message was not acked before").doesNotContainKey(cid);
                    refusals++;
                    refusedOnce.add(cid);
                    visitor.send(text(cid)); // the outbox resends it, same cid
                } else {
                    assertThat(ackedSeq.put(cid, f.get("seq").asLong())).as("acked once: " + cid).isNull();
                    conv = f.get("conv").asText();
                }
            }
            assertThat(refusals).as("the write queue of one overflowed").isPositive();
            assertThat(refusedOnce).isNotEmpty();
            assertThat(ackedSeq.values()).containsExactlyInAnyOrderElementsOf(
                    LongStream.rangeClosed(1, MESSAGES).boxed().toList());

            try (WsClient agent = relay.agent("alice")) {
                agent.next("welcome");
                List<JsonNode> stored = agent.history(conv);
                List<String> cids = new ArrayList<>();
                stored.forEach(m -> cids.add(m.get("cid").asText()));
                assertThat(stored).extracting(m -> m.get("seq").asLong())
                        .containsExactlyElementsOf(LongStream.rangeClosed(1, MESSAGES).boxed().toList());
                assertThat(cids).doesNotHaveDuplicates().hasSize(MESSAGES);
                for (JsonNode m : stored) {
                    assertThat(m.get("seq").asLong()).isEqualTo(ackedSeq.get(m.get("cid").asText()));
                }
            }
        }
    }

    private static Frame.Send text(String cid) {
        return new Frame.Send(cid, null, "text", "忙 busy 🔥 " + cid, null);
    }
}

package dev.kefu.relay.conversation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.relay.config.RelayConfig;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayTest;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * While the store's write queue is backlogged the relay stops reading WebSocket connections, so a
 * client's pongs wait unread with the rest of what it sends. The relay must not take such a client
 * for silent, however long the backlog lasts: once it reads again, everything the client sent is
 * there, and is stored once.
 */
class HeldReadsTest extends RelayTest {
    @Override
    protected RelayConfig configure(RelayConfig c) {
        return c.withHeartbeat(1).withWriteQueue(8, 8);
    }

    @Test
    void connectionHeldLongerThanTwiceTheHeartbeat_staysOpen_andWhatItSentIsStoredOnce() throws Exception {
        CompletableFuture<Void> release = new CompletableFuture<>();
        try (WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            visitor.next("welcome");
            relay.relay.store().stallWritesUntil(release);
            visitor.send(text("c-1")); // read; its write queues behind the backlog and reading stops
            visitor.send(text("c-2")); // left unread, like every pong from here on

            visitor.awaitPings(4); // over 3 s, 2 x heartbeat being 2 s, with nothing read
            assertThat(visitor.isOpen()).as("open after more than 2 x heartbeat held").isTrue();

            release.complete(null);
            List<JsonNode> acks = visitor.collect("ack", 2);
            assertThat(acks).extracting(a -> a.get("cid").asText()).containsExactly("c-1", "c-2");
            assertThat(acks).extracting(a -> a.get("seq").asLong()).containsExactly(1L, 2L);
            String conv = acks.get(0).get("conv").asText();
            assertThat(visitor.history(conv)).extracting(m -> m.get("cid").asText()).containsExactly("c-1", "c-2");
            assertThat(visitor.isOpen()).isTrue();
        } finally {
            release.complete(null);
        }
    }

    private static Frame.Send text(String cid) {
        return new Frame.Send(cid, null, "text", "held 等一下 " + cid, null);
    }
}

package dev.kefu.relay.transport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.Role;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.WsClient;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A connection that stops reading is closed with 1013 and holds nobody else up. */
class SlowReaderTest {
    @TempDir
    Path data;

    @Test
    void anAgentThatStopsReading_isClosedWith1013_whileVisitorsGoOnBeingAcked() throws Exception {
        try (RelayFixture relay = RelayFixture.start(data)) {
            StuckAgent stuck = StuckAgent.connect(relay.ws("/ws/agent"));
            try {
                stuck.session.sendText(FrameCodec.encode(new Frame.Hello(Role.AGENT, null, relay.token("alice"), null,
                        Map.of(), null)), org.eclipse.jetty.websocket.api.Callback.NOOP);
                assertThat(stuck.firstFrame.await(10, TimeUnit.SECONDS)).isTrue(); // its reader now sleeps

                // About 2,200 x 15 KB of msg frames for the agent: well past the relay's 8 MiB per connection
                // and what the sockets' buffers hold.
                int n = 2_200;
                String body = "慢".repeat(5_000);
                try (WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
                    visitor.next("welcome");
                    for (int i = 0; i < n; i++) {
                        visitor.send(new Frame.Send("slow-" + i, null, "text", body, null));
                    }
                    List<JsonNode> acks = visitor.collect("ack", n);
                    assertThat(acks).extracting(a -> a.get("seq").asLong()).doesNotHaveDuplicates().hasSize(n);
                }
                stuck.wakeUp();
                assertThat(stuck.closed.get(60, TimeUnit.SECONDS)).isEqualTo(1013);
            } finally {
                stuck.client.stop();
            }
        }
    }

    /** An agent whose reading thread blocks in the first frame it gets, until {@link #wakeUp}. */
    public static final class StuckAgent implements Session.Listener.AutoDemanding {
        final WebSocketClient client;
        final CountDownLatch firstFrame = new CountDownLatch(1);
        final CountDownLatch awake = new CountDownLatch(1);
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        volatile Session session;

        private StuckAgent(WebSocketClient client) {
            this.client = client;
        }

        static StuckAgent connect(URI uri) throws Exception {
            WebSocketClient c = new WebSocketClient();
            c.setMaxTextMessageSize(1024 * 1024);
            c.setIdleTimeout(Duration.ofMinutes(5));
            c.start();
            StuckAgent agent = new StuckAgent(c);
            c.connect(agent, uri, new ClientUpgradeRequest()).get(10, TimeUnit.SECONDS);
            return agent;
        }

        void wakeUp() {
            awake.countDown();
        }

        @Override
        public void onWebSocketOpen(Session s) {
            session = s;
        }

        @Override
        public void onWebSocketText(String text) {
            if (firstFrame.getCount() > 0) {
                firstFrame.countDown();
                try {
                    awake.await(2, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason) {
            closed.complete(statusCode);
        }

        @Override
        public void onWebSocketError(Throwable cause) {
            closed.completeExceptionally(cause);
        }
    }
}

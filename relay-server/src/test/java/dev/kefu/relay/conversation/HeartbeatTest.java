package dev.kefu.relay.conversation;

import dev.kefu.protocol.Frame;
import dev.kefu.relay.config.RelayConfig;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayTest;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class HeartbeatTest extends RelayTest {
    @Override
    protected RelayConfig configure(RelayConfig c) {
        return c.withHeartbeat(1);
    }

    @Test
    void clientThatStopsAnsweringPings_isDroppedWithinTwiceTheHeartbeat() throws Exception {
        try (WsClient silent = relay.visitor(RelayFixture.newVisitorId())) {
            silent.answerPings(false);
            silent.next("welcome");
            long start = System.nanoTime();
            int code = silent.awaitClose(Duration.ofSeconds(5));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertThat(code).isEqualTo(1001);
            assertThat(ms).isLessThanOrEqualTo(2_000 + 500); // 2 x heartbeat, plus one check interval
        }
    }

    @Test
    void clientThatAnswersPings_staysConnected() throws Exception {
        try (WsClient lively = relay.visitor(RelayFixture.newVisitorId()); WsClient silent = relay.visitor(RelayFixture.newVisitorId())) {
            lively.next("welcome");
            silent.answerPings(false);
            silent.next("welcome");
            silent.awaitClose(Duration.ofSeconds(5)); // the silent one is gone after ~2 s ...
            assertThat(lively.isOpen()).isTrue();      // ... while the one answering pings is still here
            lively.send(new Frame.Ping());
            lively.next("pong");
        }
    }

    @Test
    void connectionThatNeverSaysHello_isDroppedToo() throws Exception {
        try (WsClient mute = WsClient.connect(relay.ws("/ws/visitor"))) {
            assertThat(mute.awaitClose(Duration.ofSeconds(5))).isEqualTo(1001);
        }
    }
}

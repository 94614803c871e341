package dev.kefu.agent.net;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerAddressTest {
    @ParameterizedTest
    @CsvSource({
            "127.0.0.1:8080, http://127.0.0.1:8080/api/login, ws://127.0.0.1:8080/ws/agent, 127.0.0.1_8080",
            "http://127.0.0.1:8080/, http://127.0.0.1:8080/api/login, ws://127.0.0.1:8080/ws/agent, 127.0.0.1_8080",
            "https://kefu.example.com, https://kefu.example.com/api/login, wss://kefu.example.com/ws/agent, kefu.example.com_443",
            "ws://relay.local:9000/ws/agent, http://relay.local:9000/api/login, ws://relay.local:9000/ws/agent, relay.local_9000"
    })
    void parse_derivesHttpAndWebSocketUrls(String typed, String login, String ws, String fileKey) {
        ServerAddress a = ServerAddress.parse(typed);
        assertThat(a.http("/api/login")).hasToString(login);
        assertThat(a.ws("/ws/agent")).hasToString(ws);
        assertThat(a.fileKey()).isEqualTo(fileKey);
    }

    @Test
    void parse_rejectsOtherSchemes() {
        assertThatThrownBy(() -> ServerAddress.parse("ftp://x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ServerAddress.parse(" ")).isInstanceOf(IllegalArgumentException.class);
    }
}

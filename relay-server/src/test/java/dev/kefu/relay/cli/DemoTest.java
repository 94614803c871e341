package dev.kefu.relay.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.Role;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayProcess;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code serve --demo}, what {@code ./kefu demo} runs: a demo site and agent with printed credentials,
 * the demo page, and a visitor's first message handed straight to the demo agent.
 */
class DemoTest {
    @TempDir
    Path tmp;

    @Test
    void demo_printsWorkingCredentials_servesTheDemoPage_andGivesAVisitorsChatToTheDemoAgent() throws Exception {
        Path data = tmp.resolve("data");
        try (RelayProcess relay = RelayProcess.serve(data, tmp.resolve("relay.log"), "--demo")) {
            String password = Files.readString(data.resolve("demo-credentials.txt"), StandardCharsets.UTF_8).strip();
            relay.awaitStdout("username demo, password " + password, Duration.ofSeconds(10));

            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(relay.http("/demo")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("widget.js").contains("data-site=\"demo\"");

            HttpResponse<String> login = http.send(HttpRequest.newBuilder(relay.http("/api/login"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"demo\",\"password\":\"" + password + "\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
            String token = FrameCodec.parse(login.body()).get("token").asText();

            try (WsClient agent = WsClient.connect(relay.ws("/ws/agent"));
                 WsClient visitor = WsClient.connect(relay.ws("/ws/visitor"))) {
                agent.send(new Frame.Hello(Role.AGENT, null, token, null, Map.of(), null));
                String agentId = agent.next("welcome").get("you").get("id").asText();
                visitor.send(new Frame.Hello(Role.VISITOR, "demo", null,
                        new Frame.VisitorInfo(RelayFixture.newVisitorId(), null, null, Map.of(), null, null),
                        Map.of(), new Frame.ClientInfo("test", "1")));
                visitor.next("welcome");
                String conv = visitor.say("Does the tea cup come in blue? 🍵").get("conv").asText();

                JsonNode open = agent.next(f -> "conv".equals(f.path("type").asText())
                        && conv.equals(f.get("conv").get("id").asText())
                        && "open".equals(f.get("conv").get("status").asText()), "the chat assigned to the demo agent");
                assertThat(open.get("conv").get("agent").asText()).isEqualTo(agentId);
            }
        }

        // A second start on the same data keeps the credentials it printed the first time.
        String first = Files.readString(data.resolve("demo-credentials.txt"), StandardCharsets.UTF_8).strip();
        try (RelayProcess again = RelayProcess.serve(data, tmp.resolve("relay2.log"), "--demo")) {
            again.awaitStdout("username demo, password " + first, Duration.ofSeconds(10));
        }
    }
}

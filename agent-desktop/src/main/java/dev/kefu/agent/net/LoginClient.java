package dev.kefu.agent.net;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** {@code POST /api/login}: trades a username and password for a token. Blocking; never call it on the UI thread. */
public final class LoginClient {
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    /** What the relay answered: the token (valid until {@code expiresAt}, epoch ms) and who the agent is. */
    public record Result(String token, long expiresAt, String agentId, String username, String name, boolean admin) {}

    private HttpClient http; // made on first use: building one costs a noticeable part of start-up

    private synchronized HttpClient http() {
        if (http == null) {
            http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
        }
        return http;
    }

    public Result login(ServerAddress server, String username, String password) throws LoginException {
        String body;
        try {
            body = FrameCodec.mapper().writeValueAsString(Map.of("username", username, "password", password));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        HttpResponse<String> response;
        try {
            response = http().send(HttpRequest.newBuilder(server.http("/api/login")).timeout(TIMEOUT)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new LoginException(LoginException.Failure.UNREACHABLE, "relay unreachable: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LoginException(LoginException.Failure.UNREACHABLE, "interrupted", e);
        }
        if (response.statusCode() == 401) {
            throw new LoginException(LoginException.Failure.WRONG_CREDENTIALS, "wrong username or password", null);
        }
        if (response.statusCode() != 200) {
            throw new LoginException(LoginException.Failure.REFUSED, "relay answered HTTP " + response.statusCode(), null);
        }
        try {
            JsonNode json = FrameCodec.parse(response.body());
            JsonNode agent = json.path("agent");
            return new Result(json.path("token").asText(), json.path("expiresAt").asLong(),
                    agent.path("id").asText(), agent.path("username").asText(username),
                    agent.path("name").asText(username), agent.path("admin").asBoolean(false));
        } catch (FrameException e) {
            throw new LoginException(LoginException.Failure.REFUSED, "unreadable login answer", e);
        }
    }
}

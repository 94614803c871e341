package dev.kefu.agent.net;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** GET requests to the relay's REST API with the agent's token, answered as JSON. */
final class AgentApi {
    private final ServerAddress server;
    private final String token;
    private final Duration timeout;
    private final HttpClient http;

    AgentApi(ServerAddress server, String token, Duration timeout) {
        this.server = server;
        this.token = token;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /**
     * The JSON answer of {@code GET path}, or null when the relay answers 404 and {@code absentIsNull}
     * (an endpoint an older relay does not have). Any other status, or an unreadable answer, throws.
     */
    JsonNode get(String path, boolean absentIsNull) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(server.http(path)).timeout(timeout)
                .header("Authorization", "Bearer " + token).GET().build();
        HttpResponse<String> r;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (absentIsNull && r.statusCode() == 404) {
            return null;
        }
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + " answered HTTP " + r.statusCode() + ": " + r.body());
        }
        try {
            return FrameCodec.parse(r.body());
        } catch (FrameException e) {
            throw new IOException("unreadable answer of GET " + path + ": " + e.getMessage(), e);
        }
    }

    /** The {@code conversations} array of an answer, as conv infos. */
    static List<Frame.ConvInfo> conversations(JsonNode answer) throws IOException {
        List<Frame.ConvInfo> items = new ArrayList<>();
        try {
            for (JsonNode c : answer.path("conversations")) {
                items.add(FrameCodec.mapper().treeToValue(c, Frame.ConvInfo.class));
            }
        } catch (JsonProcessingException e) {
            throw new IOException("unreadable conversation: " + e.getMessage(), e);
        }
        return List.copyOf(items);
    }
}

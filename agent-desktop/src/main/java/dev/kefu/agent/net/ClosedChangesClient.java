package dev.kefu.agent.net;

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

/** {@link ClosedChanges} over HTTP with the agent's token. */
public final class ClosedChangesClient implements ClosedChanges {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final ServerAddress server;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    public ClosedChangesClient(ServerAddress server, String token) {
        this.server = server;
        this.token = token;
    }

    @Override
    public Page since(long changedSince, int limit) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(server.http("/api/conversations?changedSince=" + changedSince
                        + "&limit=" + limit)).timeout(TIMEOUT).header("Authorization", "Bearer " + token).GET().build();
        HttpResponse<String> r;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (r.statusCode() == 404) {
            return null; // a relay from before this endpoint
        }
        if (r.statusCode() != 200) {
            throw new IOException("GET /api/conversations answered HTTP " + r.statusCode() + ": " + r.body());
        }
        try {
            JsonNode j = FrameCodec.parse(r.body());
            List<Frame.ConvInfo> items = new ArrayList<>();
            long last = changedSince;
            for (JsonNode c : j.path("conversations")) {
                items.add(FrameCodec.mapper().treeToValue(c, Frame.ConvInfo.class));
                last = Math.max(last, c.path("changedAt").asLong());
            }
            return new Page(List.copyOf(items), last, j.path("more").asBoolean());
        } catch (FrameException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException("unreadable answer of GET /api/conversations: " + e.getMessage(), e);
        }
    }
}

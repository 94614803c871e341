package dev.kefu.agent.net;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@link VisitorConversations} over HTTP with the agent's token. */
public final class VisitorConversationsClient implements VisitorConversations {
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    private final ServerAddress server;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    public VisitorConversationsClient(ServerAddress server, String token) {
        this.server = server;
        this.token = token;
    }

    @Override
    public List<Frame.ConvInfo> of(String site, String visitorId) throws IOException {
        String path = "/api/visitors/" + encode(site) + "/" + encode(visitorId) + "/conversations";
        HttpRequest request = HttpRequest.newBuilder(server.http(path)).timeout(TIMEOUT)
                .header("Authorization", "Bearer " + token).GET().build();
        HttpResponse<String> r;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + " answered HTTP " + r.statusCode() + ": " + r.body());
        }
        try {
            List<Frame.ConvInfo> items = new ArrayList<>();
            for (JsonNode c : FrameCodec.parse(r.body()).path("conversations")) {
                items.add(FrameCodec.mapper().treeToValue(c, Frame.ConvInfo.class));
            }
            return List.copyOf(items);
        } catch (FrameException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException("unreadable answer of GET " + path + ": " + e.getMessage(), e);
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}

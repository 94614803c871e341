package dev.kefu.agent.net;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** {@link VisitorConversations} over HTTP with the agent's token. */
public final class VisitorConversationsClient implements VisitorConversations {
    private final AgentApi api;

    public VisitorConversationsClient(ServerAddress server, String token) {
        this.api = new AgentApi(server, token, Duration.ofSeconds(15));
    }

    @Override
    public Page of(String site, String visitorId, String before) throws IOException {
        JsonNode answer = api.get("/api/visitors/" + encode(site) + "/" + encode(visitorId) + "/conversations"
                + (before == null ? "" : "?before=" + encode(before)), false);
        return new Page(AgentApi.conversations(answer), answer.path("more").asBoolean(false));
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}

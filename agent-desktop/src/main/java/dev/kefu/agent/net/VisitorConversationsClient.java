package dev.kefu.agent.net;

import dev.kefu.protocol.Frame;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/** {@link VisitorConversations} over HTTP with the agent's token. */
public final class VisitorConversationsClient implements VisitorConversations {
    private final AgentApi api;

    public VisitorConversationsClient(ServerAddress server, String token) {
        this.api = new AgentApi(server, token, Duration.ofSeconds(15));
    }

    @Override
    public List<Frame.ConvInfo> of(String site, String visitorId) throws IOException {
        return AgentApi.conversations(api.get("/api/visitors/" + encode(site) + "/" + encode(visitorId)
                + "/conversations", false));
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}

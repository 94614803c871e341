package dev.kefu.agent.net;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.time.Duration;

/** {@link ClosedChanges} over HTTP with the agent's token. */
public final class ClosedChangesClient implements ClosedChanges {
    private final AgentApi api;

    public ClosedChangesClient(ServerAddress server, String token) {
        this.api = new AgentApi(server, token, Duration.ofSeconds(30));
    }

    @Override
    public Page since(long changedSince, int limit) throws IOException {
        JsonNode j = api.get("/api/conversations?changedSince=" + changedSince + "&limit=" + limit, true);
        if (j == null) {
            return null; // a relay from before this endpoint
        }
        long last = changedSince;
        for (JsonNode c : j.path("conversations")) {
            last = Math.max(last, c.path("changedAt").asLong());
        }
        return new Page(AgentApi.conversations(j), last, j.path("more").asBoolean());
    }
}

package dev.kefu.loadtest.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.loadtest.books.ConvBook;
import dev.kefu.loadtest.books.Ledger;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.MessageKind;
import dev.kefu.protocol.Role;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpMethod;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A simulated support agent. Every agent sees every conversation of the site (and is owed every
 * visitor message); agent {@code i} of {@code n} takes the waiting conversations whose id hashes to
 * {@code i} and answers a share ({@code replyRatio}) of the visitor messages in them.
 */
public final class Agent extends SimClient {
    private final String username;
    private final String password;
    private final int agents;
    private final double replyRatio;
    private final String cidPrefix;
    private final Map<String, String> visitorOfConv = new HashMap<>();
    private final Set<String> acceptedHere = new HashSet<>();
    private volatile String token;
    private long sent;

    public Agent(Swarm swarm, int index, URI base, String transport, String username, String password, int agents,
                 double replyRatio, String runId) {
        super(swarm, index, base, transport);
        this.username = username;
        this.password = password;
        this.agents = agents;
        this.replyRatio = replyRatio;
        this.cidPrefix = runId + "-a" + index + "-";
    }

    /** Logs in over {@code POST /api/login}; call before {@link #start()} (blocks). */
    public void login() throws Exception {
        token = login(swarm, base, username, password);
    }

    /** {@code POST /api/login}; returns the token. Blocks. */
    public static String login(Swarm swarm, URI base, String username, String password) throws Exception {
        String body = FrameCodec.mapper().createObjectNode().put("username", username).put("password", password).toString();
        ContentResponse r = swarm.http().newRequest(base.resolve("/api/login")).method(HttpMethod.POST)
                .body(new StringRequestContent("application/json", body, StandardCharsets.UTF_8))
                .timeout(30, TimeUnit.SECONDS).send();
        JsonNode answer;
        try {
            answer = FrameCodec.parse(r.getContentAsString());
        } catch (dev.kefu.protocol.FrameException e) {
            answer = FrameCodec.mapper().createObjectNode();
        }
        if (r.getStatus() != 200 || !answer.path("token").isTextual()) {
            throw new IllegalStateException("login of agent '" + username + "' answered " + r.getStatus() + ": "
                    + r.getContentAsString());
        }
        return answer.get("token").asText();
    }

    public String username() {
        return username;
    }

    @Override
    protected String hello(Map<String, Long> resume) {
        return FrameCodec.encode(new Frame.Hello(Role.AGENT, null, token, null, resume,
                new Frame.ClientInfo("kefu-loadtest", "1")));
    }

    @Override
    protected String wsPath() {
        return "/ws/agent";
    }

    @Override
    protected String tallyKey() {
        return "agents/" + transport;
    }

    @Override
    protected void onWelcome(JsonNode welcome) {
        acceptedHere.clear();
        for (JsonNode c : welcome.path("conversations")) {
            conv(c);
        }
    }

    @Override
    protected void onOther(JsonNode f) {
        if ("conv".equals(f.path("type").asText())) {
            conv(f.path("conv"));
        }
    }

    private void conv(JsonNode c) {
        String id = c.path("id").asText();
        if (c.path("visitor").isTextual()) {
            visitorOfConv.put(id, c.get("visitor").asText());
        }
        if ("waiting".equals(c.path("status").asText()) && owns(id) && acceptedHere.add(id)) {
            sendIfReady(FrameCodec.encode(new Frame.Accept(id)));
        }
    }

    private boolean owns(String conv) {
        return Math.floorMod(conv.hashCode(), agents) == index;
    }

    @Override
    protected void onMsg(JsonNode msg, ConvBook.Outcome outcome) {
        long now = System.nanoTime();
        String conv = msg.path("conv").asText();
        Ledger.Direction dir = ledger.delivered(msg.path("cid").asText(), conv, msg.path("seq").asLong(), index, -1, now);
        if (outcome == ConvBook.Outcome.NEW && dir == Ledger.Direction.FROM_VISITOR && swarm.chatting() && owns(conv)
                && "visitor".equals(msg.path("from").path("role").asText())
                && ThreadLocalRandom.current().nextDouble() < replyRatio) {
            int visitor = swarm.visitorIndex(visitorOfConv.getOrDefault(conv, msg.path("from").path("id").asText()));
            if (visitor >= 0) {
                reply(conv, visitor, now);
            }
        }
    }

    private void reply(String conv, int visitor, long now) {
        String cid = cidPrefix + (++sent);
        String json = FrameCodec.encode(new Frame.Send(cid, conv, MessageKind.TEXT, Bodies.agent(sent), null));
        ledger.sent(cid, Ledger.Direction.FROM_AGENT, visitor, index, now);
        submit(cid, json);
    }

    @Override
    protected boolean onHelloRefused(String code) {
        if ("bad_token".equals(code)) {
            swarm.timers().execute(() -> {
                try {
                    login();
                } catch (Exception e) {
                    // the next attempt tries again
                }
            });
        }
        return true;
    }
}

package dev.kefu.loadtest.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.loadtest.books.ConvBook;
import dev.kefu.loadtest.books.Ledger;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.MessageKind;
import dev.kefu.protocol.Role;

import java.net.URI;
import java.util.Map;

/**
 * A simulated website visitor: one stable visitor id, messages sent without {@code conv} (the
 * relay opens or reuses its conversation), agents' replies received and booked.
 */
public final class Visitor extends SimClient {
    private final String site;
    private final String visitorId;
    private final String name;
    private final String cidPrefix;
    private long sent;

    public Visitor(Swarm swarm, int index, URI base, String transport, String site, String runId) {
        super(swarm, index, base, transport);
        this.site = site;
        this.visitorId = runId + "-visitor-" + index;
        this.name = "Visitor " + index;
        this.cidPrefix = runId + "-v" + index + "-";
        swarm.registerVisitor(visitorId, index);
        if (longPoll(transport)) {
            ledger.longPollVisitor(index);
        }
    }

    @Override
    protected String tallyKey() {
        return "visitors/" + transport;
    }

    public String visitorId() {
        return visitorId;
    }

    /** A new message, meant to leave at {@code dueNanos} (its latencies count from then). */
    public synchronized void newMessage(long dueNanos) {
        String cid = cidPrefix + (++sent);
        String json = FrameCodec.encode(new Frame.Send(cid, null, MessageKind.TEXT, Bodies.visitor(sent), null));
        ledger.sent(cid, Ledger.Direction.FROM_VISITOR, index, -1, dueNanos);
        submit(cid, json);
    }

    @Override
    protected String hello(Map<String, Long> resume) {
        return FrameCodec.encode(new Frame.Hello(Role.VISITOR, site, null,
                new Frame.VisitorInfo(visitorId, name, null, null, null, null), resume,
                new Frame.ClientInfo("kefu-loadtest", "1")));
    }

    @Override
    protected String wsPath() {
        return "/ws/visitor";
    }

    @Override
    protected void onWelcome(JsonNode welcome) {}

    @Override
    protected void onMsg(JsonNode msg, ConvBook.Outcome outcome) {
        ledger.delivered(msg.path("cid").asText(), msg.path("conv").asText(), msg.path("seq").asLong(), -1, index,
                System.nanoTime());
    }
}

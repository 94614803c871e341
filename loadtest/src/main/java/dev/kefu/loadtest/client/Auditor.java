package dev.kefu.loadtest.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.loadtest.books.ConvBook;
import dev.kefu.loadtest.books.Ledger;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.Role;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The final audit of the store: one more agent connection, holding nothing, so the relay replays
 * every message of every live conversation (PROTOCOL.md, Session start). What it receives is the
 * store as a new client sees it: each conversation must run 1..lastSeq without a gap, each cid must
 * be stored once, and every acked message must be there at the seq its ack gave.
 */
public final class Auditor extends SimClient {
    private final String token;
    private final Map<String, Map<Long, String>> stored = new HashMap<>();
    private final Map<String, Long> lastSeq = new HashMap<>();

    public Auditor(Swarm swarm, URI base, String transport, String token) {
        super(swarm, -1, base, transport);
        this.token = token;
    }

    /**
     * Its first hello names nothing, so the relay replays the whole store. If that connection drops
     * (a replay of hundreds of thousands of messages can make the relay close it as a slow reader),
     * the next hello resumes from what was received, as the books expect of every client.
     */
    @Override
    protected String hello(Map<String, Long> resume) {
        return FrameCodec.encode(new Frame.Hello(Role.AGENT, null, token, null, resume,
                new Frame.ClientInfo("kefu-loadtest-audit", "1")));
    }

    @Override
    protected String wsPath() {
        return "/ws/agent";
    }

    @Override
    protected void onWelcome(JsonNode welcome) {
        for (JsonNode c : welcome.path("conversations")) {
            lastSeq.put(c.path("id").asText(), c.path("lastSeq").asLong());
        }
    }

    @Override
    protected void onMsg(JsonNode msg, ConvBook.Outcome outcome) {
        stored.computeIfAbsent(msg.path("conv").asText(), k -> new HashMap<>())
                .put(msg.path("seq").asLong(), msg.path("cid").asText());
    }

    /** Compares what was replayed with the ledger's acked messages; only conversations of this run count. */
    public synchronized Result verify(List<Ledger.Acked> acked) {
        Set<String> ours = new HashSet<>();
        for (Ledger.Acked a : acked) {
            ours.add(a.conv());
        }
        long messages = 0;
        long gaps = 0;
        List<String> problems = new ArrayList<>();
        Map<String, String> whereIsCid = new HashMap<>();
        long duplicateCids = 0;
        for (String conv : ours) {
            Map<Long, String> seqs = stored.getOrDefault(conv, Map.of());
            long last = lastSeq.getOrDefault(conv, 0L);
            for (long s = 1; s <= last; s++) {
                String cid = seqs.get(s);
                if (cid == null) {
                    gaps++;
                    if (problems.size() < 10) {
                        problems.add("gap: " + conv + "#" + s + " not replayed (lastSeq " + last + ")");
                    }
                    continue;
                }
                messages++;
                String before = whereIsCid.put(cid, conv + "#" + s);
                if (before != null) {
                    duplicateCids++;
                    if (problems.size() < 10) {
                        problems.add("cid " + cid + " stored twice: " + before + " and " + conv + "#" + s);
                    }
                }
            }
        }
        long missing = 0;
        for (Ledger.Acked a : acked) {
            String at = stored.getOrDefault(a.conv(), Map.of()).get(a.seq());
            if (!a.cid().equals(at)) {
                missing++;
                if (problems.size() < 10) {
                    problems.add("acked " + a.cid() + " at " + a.conv() + "#" + a.seq() + " but the store has "
                            + (at == null ? "nothing" : at) + " there");
                }
            }
        }
        return new Result(ours.size(), messages, gaps, duplicateCids, missing, problems);
    }

    /** @param ackedMissing acked messages not found at the seq of their ack */
    public record Result(long conversations, long messages, long gaps, long duplicateCids, long ackedMissing,
                         List<String> problems) {
        public boolean ok() {
            return gaps == 0 && duplicateCids == 0 && ackedMissing == 0;
        }
    }
}

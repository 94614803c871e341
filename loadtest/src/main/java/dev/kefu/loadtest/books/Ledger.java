package dev.kefu.loadtest.books;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The books of a run: every message a simulated client sent, keyed by its {@code cid} (unique in
 * the run), and what became of it: acked (at which conversation and seq), delivered to whom, or
 * refused for good. Connections report what they see; {@link #settle()} closes the books.
 *
 * <p>Every message is owed to every participant of its conversation (PROTOCOL.md, guarantee 5): to
 * every agent of the run ({@link #agents} of them; each sees every conversation of the site), the
 * sender included, and to the conversation's visitor, the sender included. A message is
 * <b>lost</b> when it was acked and a party it is owed to never received it;
 * <b>duplicated</b> when one connection received the same seq twice, or one cid shows up at two
 * seqs (stored twice). Gaps are counted per receiving connection by {@link ConvBook}.
 *
 * <p>Thread-safe: entries are locked one at a time, counters are adders.
 */
public final class Ledger {
    /** Who sent a message: a visitor, or an agent replying. */
    public enum Direction { FROM_VISITOR, FROM_AGENT }

    private final int agents;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final java.util.Set<Integer> longPollVisitors = ConcurrentHashMap.newKeySet();

    public final Latency ack = new Latency("ack");
    public final Latency visitorToAgent = new Latency("visitor->agent");
    public final Latency agentToVisitor = new Latency("agent->visitor");
    /** From starting a reconnect to holding everything its welcome said exists. */
    public final Latency resume = new Latency("resume");
    /** From losing a connection to holding everything again: relay restart, backoff and resume together. */
    public final Latency recovery = new Latency("recovery");
    /** From starting a first connect to its welcome. */
    public final Latency connect = new Latency("connect");
    /** {@link #ack}, for messages of visitors on long-poll only (Kefu's, or the Socket.IO peer's polling). */
    public final Latency ackLongPoll = new Latency("ack, lp");
    /** {@link #visitorToAgent}, from visitors on long-poll only. */
    public final Latency visitorToAgentLongPoll = new Latency("visitor->agent, lp");
    /** {@link #agentToVisitor}, to visitors on long-poll only. */
    public final Latency agentToVisitorLongPoll = new Latency("agent->visitor, lp");

    public final LongAdder sent = new LongAdder();
    public final LongAdder transmissions = new LongAdder();
    public final LongAdder resent = new LongAdder();
    public final LongAdder acked = new LongAdder();
    public final LongAdder repeatAcks = new LongAdder();
    public final LongAdder delivered = new LongAdder();
    public final LongAdder echoes = new LongAdder();
    public final LongAdder refusedRetried = new LongAdder();
    public final LongAdder rejected = new LongAdder();
    public final LongAdder foreign = new LongAdder();
    public final LongAdder storedTwice = new LongAdder();
    public final LongAdder duplicatesOnConnection = new LongAdder();
    public final LongAdder gapEvents = new LongAdder();
    public final LongAdder gapSeqs = new LongAdder();
    public final LongAdder replayedAgain = new LongAdder();
    public final LongAdder reconnects = new LongAdder();
    public final LongAdder connectFailures = new LongAdder();
    public final LongAdder resumedMessages = new LongAdder();
    public final LongAdder errors = new LongAdder();
    private final LongAdder unacked = new LongAdder();
    private final LongAdder owed = new LongAdder();

    public Ledger(int agents) {
        if (agents < 0 || agents > 63) {
            throw new IllegalArgumentException("between 0 and 63 agents, not " + agents);
        }
        this.agents = agents;
    }

    public int agents() {
        return agents;
    }

    /** Visitor {@code visitor} is on long-poll: its messages also count in the long-poll latencies. */
    public void longPollVisitor(int visitor) {
        longPollVisitors.add(visitor);
    }

    /**
     * A new message of the conversation of visitor {@code visitor}, sent by that visitor or by agent
     * {@code agent} (-1: the visitor sent it); {@code dueNanos} (System.nanoTime) is when it was meant
     * to leave, the origin of its latencies.
     */
    public void sent(String cid, Direction dir, int visitor, int agent, long dueNanos) {
        entries.put(cid, new Entry(cid, dir, visitor, agent, dueNanos, longPollVisitors.contains(visitor)));
        sent.increment();
        unacked.increment();
    }

    /** An {@code ack} reached the sender. */
    public void acked(String cid, String conv, long seq, long nowNanos) {
        Entry e = entries.get(cid);
        if (e == null) {
            foreign.increment();
            return;
        }
        synchronized (e) {
            if (e.rejected) {
                return;
            }
            if (e.acked) {
                repeatAcks.increment();
                checkSeq(e, conv, seq);
                return;
            }
            checkSeq(e, conv, seq);
            e.acked = true;
            e.conv = conv;
            e.seq = seq;
            unacked.decrement();
            acked.increment();
            ack.recordNanos(nowNanos - e.dueNanos);
            if (e.longPoll) {
                ackLongPoll.recordNanos(nowNanos - e.dueNanos);
            }
            owed.add(missing(e));
        }
    }

    /**
     * A {@code msg} reached a connection: {@code agent} is the receiving agent's index, or -1 for a
     * visitor ({@code visitor} is then its index). Returns who sent it, or null for a cid this run did
     * not send.
     */
    public Direction delivered(String cid, String conv, long seq, int agent, int visitor, long nowNanos) {
        Entry e = entries.get(cid);
        if (e == null) {
            foreign.increment();
            return null;
        }
        synchronized (e) {
            checkSeq(e, conv, seq);
            if (e.seenConv == null) {
                e.seenConv = conv;
                e.seenSeq = seq;
            }
            boolean owedHere = false;
            if (agent >= 0) {
                long bit = 1L << agent;
                if ((e.agentsGot & bit) == 0) {
                    e.agentsGot |= bit;
                    owedHere = true;
                    if (e.dir == Direction.FROM_VISITOR) {
                        visitorToAgent.recordNanos(nowNanos - e.dueNanos);
                        if (e.longPoll) {
                            visitorToAgentLongPoll.recordNanos(nowNanos - e.dueNanos);
                        }
                    }
                }
            } else if (visitor == e.visitor) {
                if (!e.visitorGot) {
                    e.visitorGot = true;
                    owedHere = true;
                    if (e.dir == Direction.FROM_AGENT) {
                        agentToVisitor.recordNanos(nowNanos - e.dueNanos);
                        if (e.longPoll) {
                            agentToVisitorLongPoll.recordNanos(nowNanos - e.dueNanos);
                        }
                    }
                }
            } else {
                echoes.increment();
            }
            if (owedHere) {
                delivered.increment();
                if (e.acked) {
                    owed.decrement();
                }
            }
        }
        return e.dir;
    }

    /** The relay refused a send for good (not rate limiting): it is not owed to anyone. */
    public void rejected(String cid) {
        Entry e = entries.get(cid);
        if (e == null) {
            return;
        }
        synchronized (e) {
            if (!e.acked && !e.rejected) {
                e.rejected = true;
                unacked.decrement();
                rejected.increment();
            }
        }
    }

    /** Sent and neither acked nor refused yet. */
    public long unacked() {
        return unacked.sum();
    }

    /** Deliveries owed for acked messages and not made yet. */
    public long owed() {
        return owed.sum();
    }

    /** Acked messages as (cid, conv, seq): what an audit of the store must find. */
    public List<Acked> ackedMessages() {
        List<Acked> out = new ArrayList<>();
        for (Entry e : entries.values()) {
            synchronized (e) {
                if (e.acked) {
                    out.add(new Acked(e.cid, e.conv, e.seq));
                }
            }
        }
        return out;
    }

    public record Acked(String cid, String conv, long seq) {}

    /** Closes the books: what is still unacked, and what was acked yet not delivered where owed. */
    public Settlement settle() {
        long unackedCount = 0;
        long lost = 0;
        long lostToAgents = 0;
        long lostToVisitors = 0;
        List<String> examples = new ArrayList<>();
        List<String> unackedExamples = new ArrayList<>();
        long all = agents == 0 ? 0 : (agents == 63 ? Long.MAX_VALUE : (1L << agents) - 1);
        for (Entry e : entries.values()) {
            synchronized (e) {
                if (e.rejected) {
                    continue;
                }
                if (!e.acked) {
                    unackedCount++;
                    if (unackedExamples.size() < 5) {
                        unackedExamples.add(e.cid);
                    }
                    continue;
                }
                boolean agentsMissing = (e.agentsGot & all) != all;
                if (agentsMissing || !e.visitorGot) {
                    lost++;
                }
                if (agentsMissing) {
                    lostToAgents++;
                }
                if (!e.visitorGot) {
                    lostToVisitors++;
                }
                if ((agentsMissing || !e.visitorGot) && examples.size() < 10) {
                    examples.add(e.cid + " " + e.conv + "#" + e.seq
                            + (agentsMissing ? " missing at agents " + Long.toBinaryString(all & ~e.agentsGot) : "")
                            + (e.visitorGot ? "" : " missing at visitor " + e.visitor));
                }
            }
        }
        return new Settlement(unackedCount, lost, lostToAgents, lostToVisitors, examples, unackedExamples);
    }

    /**
     * @param unacked        sent, never acked nor refused (ought to be 0 once clients drained their outboxes)
     * @param lost           acked messages missing at one or more parties they are owed to
     * @param lostToAgents   acked messages missing at one or more agents
     * @param lostToVisitors acked messages missing at their conversation's visitor
     */
    public record Settlement(long unacked, long lost, long lostToAgents, long lostToVisitors, List<String> lostExamples,
                             List<String> unackedExamples) {}

    /** One cid seen at two different (conv, seq): the store holds it twice. Counted once per cid. */
    private void checkSeq(Entry e, String conv, long seq) {
        String knownConv = e.acked ? e.conv : e.seenConv;
        long knownSeq = e.acked ? e.seq : e.seenSeq;
        if (knownConv != null && (knownSeq != seq || !knownConv.equals(conv)) && !e.storedTwice) {
            e.storedTwice = true;
            storedTwice.increment();
        }
    }

    private long missing(Entry e) {
        long all = agents == 0 ? 0 : (1L << agents) - 1;
        return Long.bitCount(all & ~e.agentsGot) + (e.visitorGot ? 0 : 1);
    }

    private static final class Entry {
        final String cid;
        final Direction dir;
        final int visitor;
        final int agent;
        final long dueNanos;
        /** The conversation's visitor is on long-poll. */
        final boolean longPoll;
        String conv;
        long seq;
        String seenConv;
        long seenSeq;
        boolean acked;
        boolean rejected;
        boolean storedTwice;
        long agentsGot;
        boolean visitorGot;

        Entry(String cid, Direction dir, int visitor, int agent, long dueNanos, boolean longPoll) {
            this.cid = cid;
            this.dir = dir;
            this.visitor = visitor;
            this.agent = agent;
            this.dueNanos = dueNanos;
            this.longPoll = longPoll;
        }
    }
}

package dev.kefu.loadtest.books;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one simulated client holds of each conversation, kept across its connections the way a real
 * client keeps its cache, and the check of each connection's stream against it.
 *
 * <p>On a connection, the relay owes each conversation from the position the client resumed it at
 * (0 when not in {@code resume}), in seq order, each seq once. A seq at or below what the
 * connection already got is a <b>duplicate</b>; one beyond the next expected is a <b>gap</b>. A
 * conversation left out of {@code resume} (an agent holding more than fits in one hello) is
 * replayed from 1: seqs the client already held are then expected and counted as replayed.
 *
 * <p>Not thread-safe: the owning client calls it under its own lock.
 */
public final class ConvBook {
    private final Map<String, Conv> convs = new HashMap<>();
    private int connection;
    private Map<String, Long> resumedAt = Map.of();

    /** What one received {@code msg} turned out to be. */
    public enum Outcome { NEW, REPLAYED, DUPLICATE }

    /** A new connection starts, resuming the given positions. */
    public void newConnection(Map<String, Long> resume) {
        connection++;
        resumedAt = resume;
    }

    /** Records a {@code msg}; gaps and duplicates are added to {@code ledger}'s counters. */
    public Outcome receive(String convId, long seq, Ledger ledger) {
        Conv c = convs.computeIfAbsent(convId, k -> new Conv());
        if (c.connection != connection) {
            c.connection = connection;
            Long from = resumedAt.get(convId);
            c.lastOnConnection = from == null ? 0 : from;
        }
        if (seq <= c.lastOnConnection) {
            ledger.duplicatesOnConnection.increment();
            return Outcome.DUPLICATE;
        }
        if (seq > c.lastOnConnection + 1) {
            ledger.gapEvents.increment();
            ledger.gapSeqs.add(seq - c.lastOnConnection - 1);
        }
        c.lastOnConnection = seq;
        if (c.have.get((int) seq)) {
            ledger.replayedAgain.increment();
            return Outcome.REPLAYED;
        }
        c.have.set((int) seq);
        if (seq == c.held + 1) {
            c.held = c.have.nextClearBit((int) seq) - 1;
        }
        return Outcome.NEW;
    }

    /** The highest seq below which every message of {@code conv} is held (0: none). */
    public long held(String conv) {
        Conv c = convs.get(conv);
        return c == null ? 0 : c.held;
    }

    /**
     * The {@code resume} map for a hello: every conversation held, the longest first (they would
     * cost the most to replay), cut where the JSON would exceed {@code maxChars} (a hello must stay
     * under the relay's hello limit).
     */
    public Map<String, Long> resume(int maxChars) {
        List<Map.Entry<String, Conv>> all = new ArrayList<>(convs.entrySet());
        all.sort(Comparator.comparingLong((Map.Entry<String, Conv> e) -> e.getValue().held).reversed());
        Map<String, Long> out = new LinkedHashMap<>();
        int chars = 2;
        for (Map.Entry<String, Conv> e : all) {
            if (e.getValue().held == 0) {
                continue;
            }
            chars += e.getKey().length() + 24;
            if (chars > maxChars) {
                break;
            }
            out.put(e.getKey(), e.getValue().held);
        }
        return out;
    }

    private static final class Conv {
        final BitSet have = new BitSet();
        long held;
        int connection = -1;
        long lastOnConnection;
    }
}

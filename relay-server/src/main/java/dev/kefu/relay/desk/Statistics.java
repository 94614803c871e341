package dev.kefu.relay.desk;

import dev.kefu.relay.store.HistoryStore;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Per agent and per day: conversations, messages, first-response time (median and p90, from the
 * conversation's start to the first agent message), rating average, and missed chats (no agent
 * ever answered). Conversations nobody took are counted under agent {@code null}.
 */
public final class Statistics {
    private final HistoryStore history;

    public Statistics(HistoryStore history) {
        this.history = history;
    }

    /** One row of the report. Times in seconds; null when there is nothing to average. */
    public record Row(LocalDate date, String agentId, int conversations, int messages, Double firstResponseMedianSec,
                      Double firstResponseP90Sec, Double ratingAvg, int ratings, int missed) {}

    /** Rows for conversations created from {@code from} to {@code to} inclusive, days in {@code zone}. */
    public List<Row> report(LocalDate from, LocalDate to, ZoneId zone) {
        long fromMs = from.atStartOfDay(zone).toInstant().toEpochMilli();
        long toMs = to.plusDays(1).atStartOfDay(zone).toInstant().toEpochMilli();
        Map<String, List<HistoryStore.ConvFacts>> groups = new TreeMap<>();
        for (HistoryStore.ConvFacts c : history.conversationsCreated(fromMs, toMs)) {
            LocalDate day = Instant.ofEpochMilli(c.createdAt()).atZone(zone).toLocalDate();
            groups.computeIfAbsent(day + "|" + Objects.toString(c.agentId(), ""), k -> new ArrayList<>()).add(c);
        }
        List<Row> rows = new ArrayList<>();
        groups.forEach((key, convs) -> {
            String[] parts = key.split("\\|", -1);
            List<Double> firstResponses = convs.stream().filter(c -> c.firstResponseAt() != null)
                    .map(c -> (c.firstResponseAt() - c.createdAt()) / 1000.0).sorted().toList();
            List<Integer> ratings = convs.stream().map(HistoryStore.ConvFacts::rating).filter(Objects::nonNull).toList();
            rows.add(new Row(LocalDate.parse(parts[0]), parts[1].isEmpty() ? null : parts[1], convs.size(),
                    convs.stream().mapToInt(HistoryStore.ConvFacts::agentMessages).sum(),
                    percentile(firstResponses, 0.5), percentile(firstResponses, 0.9),
                    ratings.isEmpty() ? null : ratings.stream().mapToInt(Integer::intValue).average().orElse(0),
                    ratings.size(), (int) convs.stream().filter(c -> c.agentMessages() == 0).count()));
        });
        rows.sort(Comparator.comparing(Row::date).thenComparing(r -> Objects.toString(r.agentId(), "")));
        return rows;
    }

    /** Nearest-rank percentile of sorted values, or null if there are none. */
    static Double percentile(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return null;
        }
        int rank = (int) Math.ceil(p * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }
}

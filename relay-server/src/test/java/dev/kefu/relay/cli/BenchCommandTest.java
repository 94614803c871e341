package dev.kefu.relay.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** A tiny {@code bench store} run, checked for correctness only: timings depend on the machine. */
class BenchCommandTest {
    @TempDir
    static Path temp;
    static Path dataFolder;
    static int exitCode;
    static JsonNode report;

    @BeforeAll
    static void runTinyBench() throws IOException {
        dataFolder = Files.createDirectory(temp.resolve("disk"));
        Path json = temp.resolve("bench.json");
        exitCode = RelayCli.run("bench", "store", "--rates", "200", "--seconds", "1", "--warmup-seconds", "0",
                "--data", dataFolder.toString(), "--json", json.toString());
        report = new ObjectMapper().readTree(json.toFile());
    }

    @Test
    void storeBench_tinyRun_exitsZero() {
        assertThat(exitCode).isZero();
    }

    @Test
    void storeBench_tinyRun_reportsOpenLoopRowThenClosedLoopRow() {
        assertThat(rows()).extracting(r -> r.get("mode").asText()).containsExactly("open loop", "closed loop");
        assertThat(rows().get(0).get("offeredPerSecond").asDouble()).isEqualTo(200.0);
    }

    @Test
    void storeBench_everyRow_acksEveryIssuedMessageExactlyOnce() {
        for (JsonNode row : rows()) {
            long issued = row.get("issued").asLong();
            assertThat(issued).as("issued in %s", row.get("mode")).isPositive();
            assertThat(row.get("acked").asLong()).as("acked in %s", row.get("mode")).isEqualTo(issued);
            assertThat(row.get("stored").asLong()).as("stored in %s", row.get("mode")).isEqualTo(issued);
            assertThat(row.get("failed").asLong()).as("failed in %s", row.get("mode")).isZero();
            assertThat(row.get("refused").asLong()).as("refused in %s", row.get("mode")).isZero();
            assertThat(row.get("unanswered").asLong()).as("unanswered in %s", row.get("mode")).isZero();
            assertThat(row.get("duplicates").asLong()).as("duplicates in %s", row.get("mode")).isZero();
            assertThat(row.get("achievedPerSecond").asDouble()).as("achieved in %s", row.get("mode")).isPositive();
        }
    }

    @Test
    void storeBench_everyRow_readsCommitMetersOfTheStore() {
        for (JsonNode row : rows()) {
            assertThat(row.get("commits").asLong()).as("commits in %s", row.get("mode")).isPositive();
            assertThat(row.get("batchSize").get("mean").asDouble()).as("batch in %s", row.get("mode"))
                    .isGreaterThanOrEqualTo(1.0);
        }
    }

    @Test
    void storeBench_afterRun_leavesNothingInTheDataFolder() throws IOException {
        try (Stream<Path> left = Files.list(dataFolder)) {
            assertThat(left).isEmpty();
        }
    }

    private static List<JsonNode> rows() {
        List<JsonNode> rows = new ArrayList<>();
        report.get("results").forEach(rows::add);
        return rows;
    }
}

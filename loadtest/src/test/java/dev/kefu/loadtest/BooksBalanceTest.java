package dev.kefu.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kefu.loadtest.cli.LoadTestCli;
import dev.kefu.relay.cli.RelayCli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CI proof of issue 8, short and bounded: the load generator's own scenarios against a real
 * relay in a child JVM (started from this test's class path), failing on any lost, duplicated or
 * gapped message, never on timing. The full-size runs are the same commands with bigger numbers
 * (docs/benchmarks.md). The accounts are seeded once, in this JVM, through the relay's own CLI
 * (a child JVM per {@code agent add} would cost seconds each), and each run gets a copy.
 */
class BooksBalanceTest {
    private static final List<String> RELAY = List.of("--relay-classpath", System.getProperty("java.class.path"),
            "--relay-jvm", "-Xmx256m -XX:+UseSerialGC");
    private static final String PASSWORD = "loadtest-password";
    private static final List<String> POPULATION = List.of("--visitors", "200", "--agents", "4", "--lp-share", "0.1",
            "--reply-ratio", "0.3", "--ramp", "400", "--grace-sec", "40", "--quiet", "--seeded",
            "--agent-password", PASSWORD);

    @TempDir
    static Path seededData;

    @TempDir
    Path tmp;

    @BeforeAll
    static void seedAccounts() {
        String data = seededData.toString();
        assertThat(relayCli(null, "site", "add", "--key", "shop", "--data", data)).as("site add").isZero();
        for (int i = 1; i <= 4; i++) {
            assertThat(relayCli(PASSWORD + "\n", "agent", "add", "agent" + i, "--password-stdin", "--data", data))
                    .as("agent add agent%d", i).isZero();
        }
    }

    /** The relay's CLI in this JVM, with {@code stdin} as standard input. */
    private static int relayCli(String stdin, String... args) {
        synchronized (System.class) {
            InputStream in = System.in;
            try {
                System.setIn(new ByteArrayInputStream((stdin == null ? "" : stdin).getBytes(StandardCharsets.UTF_8)));
                return RelayCli.run(args);
            } finally {
                System.setIn(in);
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void steadyChat_losesNothing_duplicatesNothing_leavesNoGap() throws Exception {
        JsonNode result = run("steady", "--rate", "100", "--warmup", "1", "--duration", "10");

        assertBooksBalance(result);
        assertThat(result.at("/books/acked").asLong()).as("messages acked").isGreaterThan(500);
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void threeKillNineCycles_underChat_loseNothing_duplicateNothing_leaveNoGap() throws Exception {
        JsonNode result = run("chaos-kill", "--rate", "100", "--kill-every-sec", "4", "--cycles", "3",
                "--tail-sec", "3", "--heartbeat-sec", "5");

        assertBooksBalance(result);
        assertThat(result.at("/kills")).as("kills").hasSize(3);
        assertThat(result.at("/books/resentAfterReconnect").asLong()).as("outbox resends after the kills").isPositive();
    }

    private JsonNode run(String scenario, String... args) throws Exception {
        Path work = tmp.resolve(scenario);
        copy(seededData, work.resolve("data"));
        List<String> all = new ArrayList<>(List.of(scenario, "--work", work.toString()));
        all.addAll(RELAY);
        all.addAll(POPULATION);
        all.addAll(List.of(args));
        int exit = LoadTestCli.run(all.toArray(String[]::new));
        Path file = work.resolve("result.json");
        assertThat(file).as("result of %s (exit %d); relay log %s", scenario, exit, work.resolve("relay.log")).exists();
        JsonNode result = new ObjectMapper().readTree(Files.readString(file));
        assertThat(exit).as("exit code of %s; verdict %s", scenario, result.get("verdict")).isZero();
        return result;
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            files.forEach(f -> {
                try {
                    Path target = to.resolve(from.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /** Every book of a run's result.json balances and the audit found the store as the books say. */
    static void assertBooksBalance(JsonNode r) {
        String why = "books " + r.get("books") + "\naudit " + r.get("audit");
        assertThat(r.at("/books/lost").asLong()).as("acked messages lost; %s", why).isZero();
        assertThat(r.at("/books/unacked").asLong()).as("messages never acked; %s", why).isZero();
        assertThat(r.at("/books/duplicatesOnConnection").asLong()).as("seqs twice on a connection; %s", why).isZero();
        assertThat(r.at("/books/storedTwice").asLong()).as("cids stored twice; %s", why).isZero();
        assertThat(r.at("/books/gapEvents").asLong()).as("seq gaps; %s", why).isZero();
        assertThat(r.at("/audit/gaps").asLong()).as("gaps in the stored conversations; %s", why).isZero();
        assertThat(r.at("/audit/duplicateCids").asLong()).as("cids stored twice (audit); %s", why).isZero();
        assertThat(r.at("/audit/ackedMissing").asLong()).as("acked messages missing from the store; %s", why).isZero();
        assertThat(r.at("/audit/messages").asLong()).as("messages in the store").isEqualTo(r.at("/books/acked").asLong());
        assertThat(r.at("/verdict/booksBalance").asBoolean()).as("verdict %s", r.get("verdict")).isTrue();
    }
}

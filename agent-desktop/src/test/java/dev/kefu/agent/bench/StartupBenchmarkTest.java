package dev.kefu.agent.bench;

import dev.kefu.agent.cache.ChatCache;
import dev.kefu.agent.cache.SettingsStore;
import dev.kefu.agent.login.AgentAccount;
import dev.kefu.agent.login.RememberedLogin;
import dev.kefu.agent.net.ServerAddress;
import dev.kefu.protocol.ConvStatus;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.MessageKind;
import dev.kefu.protocol.Role;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Start-up time and memory of the packaged app ({@code target/kefu-agent.jar}, run in a child JVM
 * with {@code --startup-report}): cold start to the login screen, and the main window over a cache
 * of 200 conversations x 100 messages (offline: the remembered relay does not answer).
 * Tagged slow; run with {@code ../mvnw -o package -DskipTests && ../mvnw -o surefire:test
 * -Dtest=StartupBenchmarkTest -DexcludedTestGroups=none} and a DISPLAY. Results go to
 * {@code target/benchmarks.txt}.
 */
@Tag("slow")
class StartupBenchmarkTest {
    private static final Pattern MILESTONE = Pattern.compile("kefu-agent startup: (\\S+) (\\d+) ms");
    private static final Pattern HEAP = Pattern.compile("kefu-agent heap: (.+) (\\d+) KiB after GC");
    private static final int RUNS = 3;

    @TempDir
    Path tmp;

    private final List<String> report = new ArrayList<>();

    @Test
    void coldStartAndMemory() throws Exception {
        Path jar = Path.of(System.getProperty("kefu.agentJar", "target/kefu-agent.jar"));
        assertThat(jar).as("build the jar first: ../mvnw -o package -DskipTests").exists();

        for (int i = 1; i <= RUNS; i++) {
            Path empty = Files.createDirectories(tmp.resolve("empty-" + i));
            run(jar, empty, "login screen, empty data folder, run " + i);
        }

        Path remembered = Files.createDirectories(tmp.resolve("remembered-empty"));
        seed(remembered, 0, 0);
        run(jar, remembered, "main window offline, empty cache (for comparison)");

        Path seeded = Files.createDirectories(tmp.resolve("seeded"));
        long seedStart = System.nanoTime();
        seed(seeded, 200, 100);
        long seedMs = (System.nanoTime() - seedStart) / 1_000_000;
        long cacheKib = Files.walk(seeded.resolve("cache")).filter(Files::isRegularFile)
                .mapToLong(p -> p.toFile().length()).sum() / 1024;
        report.add(String.format("seeded 200 conversations x 100 messages in %d ms; cache files %d KiB", seedMs, cacheKib));
        for (int i = 1; i <= RUNS; i++) {
            run(jar, seeded, "main window offline over 200x100 cached, run " + i);
        }

        Path out = Path.of(System.getProperty("kefu.screenshots", "target/screenshots")).resolveSibling("benchmarks.txt");
        Files.write(out, report, StandardCharsets.UTF_8);
        report.forEach(System.out::println);
    }

    private void run(Path jar, Path data, String what) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "--data", data.toString(), "--lang", "zh", "--startup-report");
        long spawned = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> lines = new ArrayList<>();
        long firstLineMs = -1;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (firstLineMs < 0 && line.startsWith("kefu-agent startup:")) {
                    firstLineMs = (System.nanoTime() - spawned) / 1_000_000;
                }
                lines.add(line);
            }
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the app quits after its report").isTrue();
        String milestone = "?";
        String heap = "?";
        for (String l : lines) {
            Matcher m = MILESTONE.matcher(l);
            if (m.find()) {
                milestone = m.group(1) + " " + m.group(2) + " ms after JVM start";
            }
            Matcher h = HEAP.matcher(l);
            if (h.find()) {
                heap = String.format("%.1f MiB heap after GC (%s)", Long.parseLong(h.group(2)) / 1024.0, h.group(1));
            }
        }
        assertThat(lines).as("report lines of " + what).anyMatch(l -> l.startsWith("kefu-agent heap:"));
        report.add(String.format("%s: %s; %d ms from process spawn; %s", what, milestone, firstLineMs, heap));
    }

    /** A data folder as left by an agent who chose "remember me": token, and a cache of n x m messages. */
    static void seed(Path data, int conversations, int messagesEach) {
        ServerAddress dead = ServerAddress.parse("http://127.0.0.1:9");
        AgentAccount account = new AgentAccount(dead, "alice", "a-alice", "Alice 小爱", "expired-token", 0);
        try (SettingsStore store = SettingsStore.open(data)) {
            new RememberedLogin(store).save(account, true);
        }
        Frame.Party agent = new Frame.Party(Role.AGENT, account.agentId(), account.agentName());
        long t0 = System.currentTimeMillis() - conversations * 3_600_000L;
        try (ChatCache cache = ChatCache.open(ChatCache.fileFor(data, dead.fileKey(), account.username()))) {
            for (int i = 0; i < conversations; i++) {
                int c = i;
                String conv = "c-" + c;
                String visitorId = "v-benchmark-visitor-" + c;
                Frame.Party visitor = new Frame.Party(Role.VISITOR, visitorId, "访客 " + c);
                long start = t0 + c * 3_600_000L;
                cache.inTransaction(() -> {
                    cache.upsertConversation(new Frame.ConvInfo(conv, "shop", c % 10 == 0 ? ConvStatus.WAITING : ConvStatus.OPEN,
                            visitorId, visitor.name(), c % 10 == 0 ? null : agent.id(), agent.name(), 0, start));
                    for (int m = 1; m <= messagesEach; m++) {
                        Frame.Party from = m % 2 == 1 ? visitor : agent;
                        String body = (m % 2 == 1 ? "您好，我想问一下订单 " : "好的，我帮您查一下订单 ") + c + "-" + m
                                + "，请稍等。This is message number " + m + " of the benchmark conversation.";
                        cache.storeMessage(new Frame.Msg(conv, m, "cid-" + c + "-" + m, from, MessageKind.TEXT, body, null,
                                start + m * 1000L), agent.id());
                    }
                });
            }
        }
    }
}

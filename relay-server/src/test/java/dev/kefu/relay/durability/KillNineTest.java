package dev.kefu.relay.durability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.Role;
import dev.kefu.relay.testing.CliRun;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayProcess;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The durability proof (PROTOCOL.md guarantees 1-3): the relay runs in a child JVM and is killed
 * with SIGKILL while a visitor streams sends at it without waiting for acks. The first kill comes
 * under a flood (all of the outbox sent at once: deep queues in the relay, acks far behind commits);
 * the later ones under a window of {@value #WINDOW} unacked sends, where acks follow commits
 * closely, so an ack sent before its commit would be caught by the kill. After each restart on
 * the same data folder the visitor does what a real client does (resume, resend its outbox with the
 * same cids), and also resends every cid already acked, which must come back with the same seq.
 * At the end the stored conversation must hold every cid once, every acked one at the seq of its
 * first ack, with seqs 1..N and no gap.
 *
 * <p>Kill points come from a seeded {@link Random}; the seed is printed and in every failure
 * message, and {@code -Dkefu.killnine.seed=S} replays a run's kill points (timing still varies).
 */
class KillNineTest {
    private static final int MESSAGES = 2_000;
    private static final int KILLS = 3;
    /** Most unacked sends in flight after the first kill; the first connection floods. */
    private static final int WINDOW = 64;
    private static final String PASSWORD = "kill-nine-pass";
    /** Whole-scenario bound; a healthy run takes a fraction of it. */
    private static final Duration DEADLINE = Duration.ofSeconds(90);

    @TempDir
    Path tmp;
    private Path data;
    private Path log;
    private RelayProcess relay;
    private WsClient visitor;
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kill-nine-sender");
        t.setDaemon(true);
        return t;
    });

    // The visitor's state, kept across connections; only the test thread touches it.
    private final String visitorId = RelayFixture.newVisitorId();
    private final Map<String, Long> acked = new LinkedHashMap<>(); // cid -> seq of its first ack
    private final Map<Long, String> seen = new HashMap<>();         // seq -> cid of every msg received
    private final List<String> problems = new ArrayList<>();
    private String conv;
    private Semaphore window;       // one permit per ack awaited by the sender; null while flooding
    private int duplicateAcks;      // acks of a cid already acked
    private int resendsConfirmed;   // ... that carried the seq of its first ack
    private String why = "";
    private long deadline;

    @BeforeEach
    void seedAccounts() {
        data = tmp.resolve("data");
        log = tmp.resolve("relay-child.log");
        CliRun.run("site", "add", "--key", RelayFixture.SITE, "--secret", "s3cret-value-123", "--data", data.toString())
                .expectExit(0);
        CliRun.withInput(PASSWORD + "\n", "agent", "add", "alice", "--password-stdin", "--data", data.toString())
                .expectExit(0);
    }

    @AfterEach
    void stopEverything() throws Exception {
        try {
            if (visitor != null) {
                visitor.close();
            }
        } finally {
            sender.shutdownNow();
            if (relay != null) {
                relay.close();
            }
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES) // backstop only: every wait below has its own timeout
    void sigkillWhileSending_losesNoAckedMessage_andStoresEveryCidOnce() throws Exception {
        long seed = Long.getLong("kefu.killnine.seed", System.nanoTime());
        Random random = new Random(seed);
        List<Integer> killAt = new ArrayList<>();
        for (int i = 0, at = 0; i < KILLS; i++) {
            at += 100 + random.nextInt(500);
            killAt.add(at); // at most 3 x 599 = 1797 < MESSAGES
        }
        why = "seed " + seed + " (-Dkefu.killnine.seed=" + seed + "), kills after " + killAt + " acks, relay log " + log;
        System.out.println("KillNineTest: " + why);
        List<String> cids = IntStream.range(0, MESSAGES).mapToObj(i -> "kn-" + i).toList();
        deadline = System.nanoTime() + DEADLINE.toNanos();
        long started = System.nanoTime();

        relay = RelayProcess.serve(data, log, "--heartbeat-sec", "5", "--rate-burst", "100000");
        int resendsExpected = 0;
        for (int cycle = 0; ; cycle++) {
            connectVisitor();
            if (cycle > 0) {
                resendsExpected += resendAcked();
            }
            List<String> outbox = cids.stream().filter(c -> !acked.containsKey(c)).toList();
            Future<?> sending = sendAll(outbox, cycle == 0 ? 0 : WINDOW);
            int target = cycle < KILLS ? killAt.get(cycle) : MESSAGES;
            while (acked.size() < target) {
                take(nextFrame());
            }
            if (cycle == KILLS) {
                sending.get(10, TimeUnit.SECONDS);
                while (heldUpTo() < MESSAGES) { // the msg of each message follows its ack
                    take(nextFrame());
                }
                break;
            }

            long pid = relay.pid();
            assertThat(relay.kill()).as("exit status of the SIGKILLed relay %d; %s", pid, why)
                    .isEqualTo(RelayProcess.SIGKILL_EXIT);
            visitor.awaitClose(Duration.ofSeconds(10));
            visitor.drain().forEach(this::take); // acks that arrived before the socket died count too
            if (window != null) {
                window.release(MESSAGES); // lets the sender run into the dead socket
            }
            awaitSenderStopped(sending);
            visitor.close();
            visitor = null;
            System.out.printf("KillNineTest: kill %d (pid %d) at %d ms: %d acks (wanted %d), %d unacked%n",
                    cycle + 1, pid, elapsedMs(started), acked.size(), target, MESSAGES - acked.size());
            relay = RelayProcess.serve(data, log, "--heartbeat-sec", "5", "--rate-burst", "100000");
        }
        visitor.close();
        visitor = null;

        List<JsonNode> stored = storedMessagesViaAgent();
        System.out.printf("KillNineTest: done in %d ms, %d resends of acked cids confirmed%n", elapsedMs(started),
                resendsConfirmed);

        assertThat(problems).as("protocol violations seen by the visitor; %s", why).isEmpty();
        assertThat(stored).extracting(m -> m.get("seq").asLong()).as("(3) seqs 1..%d without gap; %s", MESSAGES, why)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, MESSAGES).boxed().toList());
        List<String> storedCids = stored.stream().map(m -> m.get("cid").asText()).toList();
        assertThat(storedCids).as("(2) every sent cid stored exactly once; %s", why)
                .doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(cids);
        Map<String, Long> storedSeq = new HashMap<>();
        stored.forEach(m -> storedSeq.put(m.get("cid").asText(), m.get("seq").asLong()));
        assertThat(storedSeq).as("(1) every acked cid stored at the seq of its first ack; %s", why).isEqualTo(acked);
        assertThat(resendsConfirmed).as("(4) resends of acked cids answered with their first seq; %s", why)
                .isEqualTo(resendsExpected);
        Map<Long, String> storedCid = new HashMap<>();
        stored.forEach(m -> storedCid.put(m.get("seq").asLong(), m.get("cid").asText()));
        assertThat(storedCid).as("(5) every msg the visitor received is the stored one; %s", why).containsAllEntriesOf(seen);
    }

    // ---- the visitor ----

    /** Connects, says hello with resume from what it holds, and checks that nothing acked went missing. */
    private void connectVisitor() throws Exception {
        visitor = WsClient.connect(relay.ws("/ws/visitor"));
        visitor.send(RelayFixture.visitorHello(visitorId, conv == null ? Map.of() : Map.of(conv, heldUpTo())));
        JsonNode welcome = visitor.next("welcome");
        if (conv != null) {
            long highestAcked = acked.values().stream().mapToLong(Long::longValue).max().orElse(0);
            assertThat(welcome.get("conversations")).as("welcome after restart; %s", why).anySatisfy(c -> {
                assertThat(c.get("id").asText()).isEqualTo(conv);
                assertThat(c.get("lastSeq").asLong()).isGreaterThanOrEqualTo(highestAcked);
            });
            long lastSeq = 0;
            for (JsonNode c : welcome.get("conversations")) {
                lastSeq = conv.equals(c.get("id").asText()) ? c.get("lastSeq").asLong() : lastSeq;
            }
            System.out.printf("KillNineTest: restarted; stored %d, acked %d: %d committed without their ack getting out%n",
                    lastSeq, acked.size(), lastSeq - acked.size());
        }
    }

    /** Sends every cid acked so far again and waits for all their acks; returns how many it sent. */
    private int resendAcked() throws Exception {
        List<String> again = List.copyOf(acked.keySet());
        int duplicatesBefore = duplicateAcks;
        Future<?> sending = sendAll(again, 0);
        while (duplicateAcks - duplicatesBefore < again.size()) {
            take(nextFrame());
        }
        sending.get(10, TimeUnit.SECONDS);
        return again.size();
    }

    /**
     * Streams {@code cids} on the sender thread, keeping at most {@code windowSize} unacked (0: no
     * limit, a flood); fails once the socket dies.
     */
    private Future<?> sendAll(List<String> cids, int windowSize) {
        WsClient ws = visitor;
        String knownConv = conv;
        Semaphore permits = windowSize > 0 ? new Semaphore(windowSize) : null;
        window = permits;
        return sender.submit(() -> {
            for (String cid : cids) {
                if (permits != null && !permits.tryAcquire(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("no ack for 10 s");
                }
                ws.send(new Frame.Send(cid, knownConv, "text", "message " + cid + " 消息", null));
            }
            return null;
        });
    }

    private void awaitSenderStopped(Future<?> sending) throws Exception {
        try {
            sending.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException expected) {
            // the relay died under it
        }
    }

    private void take(JsonNode f) {
        switch (f.path("type").asText()) {
            case "ack" -> {
                String cid = f.get("cid").asText();
                long seq = f.get("seq").asLong();
                String c = f.get("conv").asText();
                if (conv == null) {
                    conv = c;
                } else if (!conv.equals(c)) {
                    problems.add("ack of " + cid + " names conversation " + c + ", not " + conv);
                }
                if (window != null) {
                    window.release();
                }
                Long first = acked.putIfAbsent(cid, seq);
                if (first != null) {
                    duplicateAcks++;
                    if (first == seq) {
                        resendsConfirmed++;
                    } else {
                        problems.add("cid " + cid + " acked with seq " + first + ", then with seq " + seq);
                    }
                }
            }
            case "msg" -> {
                long seq = f.get("seq").asLong();
                String cid = f.get("cid").asText();
                String before = seen.putIfAbsent(seq, cid);
                if (before != null && !before.equals(cid)) {
                    problems.add("seq " + seq + " delivered as " + before + ", later as " + cid);
                }
            }
            case "error" -> problems.add("error frame: " + f);
            default -> { }
        }
    }

    /** The highest seq below which the visitor holds every message: what it resumes from. */
    private long heldUpTo() {
        long held = 0;
        while (seen.containsKey(held + 1)) {
            held++;
        }
        return held;
    }

    private JsonNode nextFrame() throws InterruptedException {
        if (System.nanoTime() > deadline) {
            throw new AssertionError("scenario over " + DEADLINE + " with " + acked.size() + " acks; " + why);
        }
        try {
            return visitor.nextAny();
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + " with " + acked.size() + " acks, relay alive " + relay.isAlive()
                    + "; " + why + "\nrelay log tail:\n" + relay.logTail(30), e);
        }
    }

    // ---- reading the result back ----

    /** The conversation as an agent reads it: welcome, replay, then sync pages; checks they agree. */
    private List<JsonNode> storedMessagesViaAgent() throws Exception {
        String token = login();
        try (WsClient agent = WsClient.connect(relay.ws("/ws/agent"))) {
            agent.send(new Frame.Hello(Role.AGENT, null, token, null, Map.of(), null));
            JsonNode welcome = agent.next("welcome");
            assertThat(welcome.get("conversations")).as("agent welcome; %s", why).anySatisfy(c -> {
                assertThat(c.get("id").asText()).isEqualTo(conv);
                assertThat(c.get("lastSeq").asLong()).isEqualTo(MESSAGES);
            });
            List<JsonNode> replayed = agent.collect("msg", MESSAGES);

            List<JsonNode> paged = new ArrayList<>();
            long after = 0;
            for (boolean more = true; more; ) {
                agent.send(new Frame.Sync(conv, null, after, 500));
                JsonNode page = agent.next("msgs");
                if (page.get("items").isEmpty()) {
                    break;
                }
                page.get("items").forEach(paged::add);
                more = page.get("more").asBoolean();
                after = paged.get(paged.size() - 1).get("seq").asLong();
            }
            assertThat(replayed).extracting(m -> m.get("seq").asLong() + "/" + m.get("cid").asText())
                    .as("agent replay agrees with sync; %s", why)
                    .containsExactlyElementsOf(paged.stream().map(m -> m.get("seq").asLong() + "/" + m.get("cid").asText()).toList());
            return paged;
        }
    }

    private String login() throws Exception {
        HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build().send(
                HttpRequest.newBuilder(relay.http("/api/login")).timeout(Duration.ofSeconds(20))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"alice\",\"password\":\"" + PASSWORD + "\"}"))
                        .header("Content-Type", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("login: %s", r.body()).isEqualTo(200);
        return FrameCodec.parse(r.body()).get("token").asText();
    }

    private static long elapsedMs(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}

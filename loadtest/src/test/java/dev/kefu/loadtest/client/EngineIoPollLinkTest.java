package dev.kefu.loadtest.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link EngineIoPollLink} against a scripted Engine.IO v4 polling server: what it POSTs and when
 * (the namespace join first, frames only once the join is confirmed, never two POSTs at once, what
 * queued meanwhile in one batch, in order), what it makes of poll answers (frames in order, pings
 * answered) and that a poll answered 400, as Engine.IO answers an unknown sid, ends the link.
 */
class EngineIoPollLinkTest {
    private static final long WAIT_S = 10;

    private HttpServer server;
    private ExecutorService serverThreads;
    private HttpClient http;
    /** Bodies of the POSTs, as they arrive. */
    private final BlockingQueue<String> posts = new LinkedBlockingQueue<>();
    /** Each POST is answered once a permit is released. */
    private final Semaphore postPermits = new Semaphore(0);
    private final AtomicInteger postsInFlight = new AtomicInteger();
    private final AtomicInteger mostPostsInFlight = new AtomicInteger();
    /** What the next polls answer: a body (200) or a status. */
    private final BlockingQueue<Object> pollAnswers = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> handshakes = new LinkedBlockingQueue<>();

    private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> closes = new LinkedBlockingQueue<>();
    private final LinkListener listener = new LinkListener() {
        @Override
        public void onFrame(Link link, JsonNode frame) {
            frames.add(frame);
        }

        @Override
        public void onHeard(Link link) {}

        @Override
        public void onClosed(Link link, String why) {
            closes.add(why);
        }
    };

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        serverThreads = Executors.newCachedThreadPool();
        server.setExecutor(serverThreads);
        server.createContext("/socket.io/", this::handle);
        server.start();
        http = new HttpClient();
        http.start();
    }

    @AfterEach
    void stop() throws Exception {
        http.stop();
        server.stop(0);
        serverThreads.shutdownNow();
    }

    private void handle(HttpExchange x) throws IOException {
        String query = x.getRequestURI().getQuery();
        try {
            if (!query.contains("sid=")) {
                handshakes.add(query);
                answer(x, 200, "0{\"sid\":\"S1\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":20000,"
                        + "\"maxPayload\":1000000}");
            } else if ("POST".equals(x.getRequestMethod())) {
                int now = postsInFlight.incrementAndGet();
                mostPostsInFlight.accumulateAndGet(now, Math::max);
                posts.add(new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                boolean released = postPermits.tryAcquire(WAIT_S, TimeUnit.SECONDS);
                postsInFlight.decrementAndGet();
                answer(x, released ? 200 : 500, "ok");
            } else {
                Object next = pollAnswers.poll(WAIT_S, TimeUnit.SECONDS);
                if (next instanceof Integer status) {
                    answer(x, status, "{\"code\":1,\"message\":\"Session ID unknown\"}");
                } else {
                    answer(x, 200, next == null ? "6" : (String) next);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            x.close();
        }
    }

    private static void answer(HttpExchange x, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "text/plain; charset=UTF-8");
        x.sendResponseHeaders(status, bytes.length);
        x.getResponseBody().write(bytes);
        x.close();
    }

    private URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private String nextPost() throws InterruptedException {
        String p = posts.poll(WAIT_S, TimeUnit.SECONDS);
        assertThat(p).as("a POST").isNotNull();
        return p;
    }

    @Test
    @Timeout(60)
    void joinsFirst_thenOnePostAtATime_batchesWhatQueued_inOrder_andA400PollEndsTheLink() throws Exception {
        EngineIoPollLink link = EngineIoPollLink.open(http, base(), "{\"type\":\"hello\"}", listener, 5_000);

        assertThat(handshakes.poll(WAIT_S, TimeUnit.SECONDS)).isEqualTo("EIO=4&transport=polling");
        assertThat(nextPost()).as("the namespace join, alone: frames wait for its confirmation").isEqualTo("40");
        postPermits.release();
        pollAnswers.add("40{\"sid\":\"N1\"}");
        assertThat(nextPost()).isEqualTo("42[\"frame\",{\"type\":\"hello\"}]");

        // The hello's POST is still unanswered: what is sent meanwhile waits, and a ping is answered with it.
        for (int i = 1; i <= 5; i++) {
            link.send("{\"type\":\"send\",\"cid\":\"c" + i + "\"}");
        }
        pollAnswers.add("2");
        List<String> packets = new ArrayList<>();
        postPermits.release(100);
        while (packets.size() < 6) {
            packets.addAll(Arrays.asList(nextPost().split("\u001e")));
        }
        assertThat(mostPostsInFlight.get()).as("POSTs in flight at once").isEqualTo(1);
        assertThat(packets).contains("3");
        assertThat(packets.stream().filter(p -> !p.equals("3")).toList()).containsExactly(
                "42[\"frame\",{\"type\":\"send\",\"cid\":\"c1\"}]", "42[\"frame\",{\"type\":\"send\",\"cid\":\"c2\"}]",
                "42[\"frame\",{\"type\":\"send\",\"cid\":\"c3\"}]", "42[\"frame\",{\"type\":\"send\",\"cid\":\"c4\"}]",
                "42[\"frame\",{\"type\":\"send\",\"cid\":\"c5\"}]");

        pollAnswers.add("42[\"frame\",{\"type\":\"ack\",\"cid\":\"c1\"}]\u001e6\u001e42[\"other\",1]\u001e"
                + "42[\"frame\",{\"type\":\"msg\",\"seq\":7}]");
        assertThat(frames.poll(WAIT_S, TimeUnit.SECONDS).path("type").asText()).isEqualTo("ack");
        assertThat(frames.poll(WAIT_S, TimeUnit.SECONDS).path("seq").asLong()).isEqualTo(7);

        pollAnswers.add(400);
        assertThat(closes.poll(WAIT_S, TimeUnit.SECONDS)).isEqualTo("sio-lp poll answered 400");
        link.send("{\"type\":\"send\",\"cid\":\"c6\"}");
        assertThat(posts.poll(500, TimeUnit.MILLISECONDS)).as("nothing sent once closed").isNull();
        assertThat(closes).as("closed reported once").isEmpty();
        assertThat(frames).isEmpty();
    }

    @Test
    @Timeout(60)
    void aServerCloseEndsTheLink() throws Exception {
        EngineIoPollLink.open(http, base(), "{\"type\":\"hello\"}", listener, 5_000);
        assertThat(nextPost()).isEqualTo("40");
        postPermits.release(10);
        pollAnswers.add("40{\"sid\":\"N1\"}");
        assertThat(nextPost()).isEqualTo("42[\"frame\",{\"type\":\"hello\"}]");
        pollAnswers.add("42[\"frame\",{\"type\":\"welcome\"}]\u001e41");
        assertThat(frames.poll(WAIT_S, TimeUnit.SECONDS).path("type").asText()).isEqualTo("welcome");
        assertThat(closes.poll(WAIT_S, TimeUnit.SECONDS)).isEqualTo("socket.io disconnect 41");
    }
}

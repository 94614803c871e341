package dev.kefu.relay.transport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A long-polling visitor for tests: open, send, and a background poll loop feeding a queue. */
final class LongPollClient implements AutoCloseable {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;
    final BlockingQueue<JsonNode> inbox = new LinkedBlockingQueue<>();
    volatile String lp;
    volatile int lastPollStatus;
    private volatile boolean running;
    private Thread poller;

    LongPollClient(URI base) {
        this.base = base;
    }

    /** Opens a session; returns the HTTP status. Frames of the answer go to the inbox. */
    int open(Frame.Hello hello) throws Exception {
        HttpResponse<String> r = post("/lp/open", FrameCodec.encode(hello));
        JsonNode body = FrameCodec.parse(r.body());
        lp = body.path("lp").isTextual() ? body.get("lp").asText() : null;
        body.get("frames").forEach(inbox::add);
        return r.statusCode();
    }

    void startPolling() {
        running = true;
        poller = new Thread(() -> {
            while (running) {
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/lp/poll?lp=" + lp))
                            .timeout(Duration.ofSeconds(35)).GET().build(), HttpResponse.BodyHandlers.ofString());
                    lastPollStatus = r.statusCode();
                    FrameCodec.parse(r.body()).get("frames").forEach(inbox::add);
                    if (r.statusCode() != 200) {
                        return;
                    }
                } catch (Exception e) {
                    if (running) {
                        inbox.add(FrameCodec.mapper().createObjectNode().put("type", "poll-failed"));
                    }
                    return;
                }
            }
        }, "lp-poller");
        poller.setDaemon(true);
        poller.start();
    }

    HttpResponse<String> send(Frame... frames) throws Exception {
        return post("/lp/send?lp=" + lp, FrameCodec.encodeArray(List.of(frames)));
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "text/plain;charset=UTF-8").build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode next(String type) throws InterruptedException {
        return next(f -> type.equals(f.path("type").asText()), type);
    }

    JsonNode next(Predicate<JsonNode> match, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        List<JsonNode> skipped = new ArrayList<>();
        while (true) {
            long left = deadline - System.nanoTime();
            JsonNode f = left <= 0 ? null : inbox.poll(left, TimeUnit.NANOSECONDS);
            if (f == null) {
                throw new AssertionError("no " + what + " in time; skipped " + skipped);
            }
            if (match.test(f)) {
                return f;
            }
            skipped.add(f);
        }
    }

    List<JsonNode> collect(String type, int n) throws InterruptedException {
        List<JsonNode> out = new ArrayList<>();
        while (out.size() < n) {
            out.add(next(type));
        }
        return out;
    }

    void stopPolling() throws InterruptedException {
        running = false;
        if (poller != null) {
            poller.interrupt();
            poller.join(5000);
        }
    }

    @Override
    public void close() throws Exception {
        stopPolling();
    }
}

package dev.kefu.installers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A visitor speaking the relay's long-poll transport (docs/protocol.md): {@code POST /lp/open}
 * with a hello, {@code POST /lp/send}, {@code GET /lp/poll}. Small enough to trust in a test of
 * the packaging, which is what it is for.
 */
final class LongPollVisitor {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final List<JsonNode> received = new ArrayList<>();
    private String lp;

    LongPollVisitor(String base) {
        this.base = base;
    }

    /** Opens a session as visitor {@code visitorId} of {@code site}; returns the welcome frame. */
    JsonNode open(String site, String visitorId) throws IOException, InterruptedException {
        ObjectNode hello = JSON.createObjectNode().put("type", "hello").put("role", "visitor").put("site", site);
        hello.putObject("visitor").put("id", visitorId).put("name", "Installer test");
        hello.putObject("resume");
        JsonNode answer = post("/lp/open", hello.toString());
        if (!answer.hasNonNull("lp")) {
            throw new AssertionError("lp/open refused: " + answer);
        }
        lp = answer.get("lp").asText();
        answer.get("frames").forEach(received::add);
        return received.stream().filter(f -> "welcome".equals(f.path("type").asText())).findFirst()
                .orElseThrow(() -> new AssertionError("no welcome in " + answer));
    }

    void sendText(String cid, String body) throws IOException, InterruptedException {
        ArrayNode frames = JSON.createArrayNode();
        frames.addObject().put("type", "send").put("cid", cid).put("kind", "text").put("body", body);
        JsonNode answer = post("/lp/send?lp=" + lp, frames.toString());
        answer.path("frames").forEach(received::add);
    }

    /** Polls until a frame matches (frames already received count), or fails after {@code timeout}. */
    JsonNode awaitFrame(Predicate<JsonNode> wanted, Duration timeout) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            for (JsonNode f : received) {
                if (wanted.test(f)) {
                    return f;
                }
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no matching frame within " + timeout + "; received " + received);
            }
            // A poll is held by the relay until frames are pending (or 25 s): no busy loop.
            HttpRequest poll = HttpRequest.newBuilder(URI.create(base + "/lp/poll?lp=" + lp))
                    .timeout(Duration.ofSeconds(40)).GET().build();
            HttpResponse<String> r = http.send(poll, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new AssertionError("lp/poll answered " + r.statusCode() + ": " + r.body());
            }
            JSON.readTree(r.body()).path("frames").forEach(received::add);
        }
    }

    private JsonNode post(String path, String body) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new AssertionError("POST " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }
}

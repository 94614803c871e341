package dev.kefu.e2e.harness;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.FrameCodec;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * What the agent app does with files over the relay's REST API (docs/protocol.md, "Files, as
 * implemented"), with an agent's Bearer token: uploads in local mode ({@code POST /api/files/credentials},
 * then {@code PUT /api/files/upload?token&key&name}) and downloads through a signed URL
 * ({@code GET /api/files/url?key}).
 */
public final class AgentFiles {
    private final String relay;
    private final String token;
    private final HttpClient http = HttpClient.newHttpClient();

    AgentFiles(String relay, String token) {
        this.relay = relay;
        this.token = token;
    }

    /** Uploads {@code bytes} to the relay's own store (local mode); returns the key. */
    public String uploadLocal(String name, String mime, byte[] bytes) throws Exception {
        JsonNode creds = FrameCodec.parse(send(HttpRequest.newBuilder(URI.create(relay + "/api/files/credentials"))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()), 200));
        if (!"local".equals(creds.path("mode").asText())) {
            throw new AssertionError("the relay is not in local files mode: " + creds);
        }
        String key = creds.get("prefix").asText() + UUID.randomUUID() + "/" + name;
        send(HttpRequest.newBuilder(URI.create(creds.get("uploadUrl").asText() + "?token=" + creds.get("token").asText()
                        + "&key=" + encode(key) + "&name=" + encode(name)))
                .header("Content-Type", mime).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)), 200);
        return key;
    }

    /** A signed download URL for {@code key}, as the relay answers it to this agent. */
    public String signedUrl(String key) throws Exception {
        String answer = send(HttpRequest.newBuilder(URI.create(relay + "/api/files/url?key=" + encode(key)))
                .header("Authorization", "Bearer " + token).GET(), 200);
        return FrameCodec.parse(answer).get("url").asText();
    }

    /** The bytes behind {@code key}, fetched by its signed URL. */
    public byte[] download(String key) throws Exception {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(signedUrl(key))).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new AssertionError("download of " + key + ": HTTP " + r.statusCode() + " "
                    + new String(r.body(), StandardCharsets.UTF_8));
        }
        return r.body();
    }

    private String send(HttpRequest.Builder request, int expected) throws Exception {
        HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expected) {
            throw new AssertionError(request.build().uri() + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}

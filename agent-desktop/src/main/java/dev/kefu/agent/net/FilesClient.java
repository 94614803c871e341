package dev.kefu.agent.net;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.function.LongConsumer;

/**
 * The relay's file endpoints for a logged-in agent: credentials for an upload, signed download
 * URLs, the local-mode {@code PUT}, and downloads of signed URLs. Blocking; never on the UI thread.
 * Failures are {@link FilesException}s carrying the relay's error code and message.
 */
public final class FilesClient {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** A refusal or failure: {@code status} 0 when the relay or storage was unreachable. */
    public static final class FilesException extends IOException {
        private final int status;
        private final String code;

        public FilesException(int status, String code, String message, Throwable cause) {
            super(message, cause);
            this.status = status;
            this.code = code;
        }

        public int status() {
            return status;
        }

        public String code() {
            return code;
        }
    }

    /** A signed download URL, valid until {@code expiresAt}. */
    public record SignedUrl(String url, long expiresAt) {}

    private final ServerAddress server;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    public FilesClient(ServerAddress server, String token) {
        this.server = server;
        this.token = token;
    }

    /** {@code POST /api/files/credentials}. In local mode the token is one-time: ask once per upload. */
    public FileGrant credentials() throws FilesException {
        JsonNode j = json(HttpRequest.newBuilder(server.http("/api/files/credentials"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        List<String> types = new ArrayList<>();
        j.path("allowedTypes").forEach(t -> types.add(t.asText()));
        return new FileGrant(j.path("mode").asText(), j.path("prefix").asText(),
                Instant.parse(j.path("expiration").asText("1970-01-01T00:00:00Z")), j.path("maxSize").asLong(),
                List.copyOf(types), text(j, "endpoint"), text(j, "bucket"), text(j, "region"), text(j, "accessKeyId"),
                text(j, "accessKeySecret"), text(j, "securityToken"), text(j, "uploadUrl"), text(j, "token"));
    }

    /** {@code GET /api/files/url?key=}: a short-lived URL of a file this agent may see. */
    public SignedUrl signedUrl(String key) throws FilesException {
        JsonNode j = json(HttpRequest.newBuilder(server.http("/api/files/url?key=" + enc(key))).GET());
        return new SignedUrl(j.path("url").asText(), j.path("expiresAt").asLong());
    }

    /** Local mode: {@code PUT uploadUrl?token=&key=&name=} with the file as body; {@code progress} gets bytes sent so far. */
    public void putLocal(FileGrant grant, String key, String name, String mime, Path file, LongConsumer progress)
            throws FilesException {
        URI uri = URI.create(grant.uploadUrl() + "?token=" + enc(grant.token()) + "&key=" + enc(key) + "&name=" + enc(name));
        HttpRequest.BodyPublisher body;
        try {
            body = counting(HttpRequest.BodyPublishers.ofFile(file), progress);
        } catch (IOException e) {
            throw new FilesException(0, "io", "cannot read " + file + ": " + e.getMessage(), e);
        }
        json(HttpRequest.newBuilder(uri).header("Content-Type", mime).PUT(body));
    }

    /** Downloads a signed URL (relay or OSS) into memory. */
    public byte[] download(String url) throws FilesException {
        try {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                throw new FilesException(r.statusCode(), "download", "download failed: HTTP " + r.statusCode() + " "
                        + new String(r.body(), StandardCharsets.UTF_8), null);
            }
            return r.body();
        } catch (IOException e) {
            throw e instanceof FilesException fe ? fe : new FilesException(0, "unreachable", "download failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FilesException(0, "interrupted", "interrupted", e);
        }
    }

    private JsonNode json(HttpRequest.Builder request) throws FilesException {
        HttpResponse<String> r;
        try {
            r = http.send(request.timeout(TIMEOUT).header("Authorization", "Bearer " + token).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new FilesException(0, "unreachable", "relay unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FilesException(0, "interrupted", "interrupted", e);
        }
        JsonNode j;
        try {
            j = r.body() == null || r.body().isBlank() ? FrameCodec.parse("{}") : FrameCodec.parse(r.body());
        } catch (FrameException e) {
            throw new FilesException(r.statusCode(), "bad_answer", "unreadable answer (HTTP " + r.statusCode() + ")", e);
        }
        if (r.statusCode() / 100 != 2) {
            throw new FilesException(r.statusCode(), j.path("code").asText("http_" + r.statusCode()),
                    j.path("message").asText("HTTP " + r.statusCode()), null);
        }
        return j;
    }

    private static String text(JsonNode j, String field) {
        return j.hasNonNull(field) ? j.get(field).asText() : null;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static HttpRequest.BodyPublisher counting(HttpRequest.BodyPublisher inner, LongConsumer progress) {
        return new HttpRequest.BodyPublisher() {
            @Override
            public long contentLength() {
                return inner.contentLength();
            }

            @Override
            public void subscribe(Flow.Subscriber<? super ByteBuffer> s) {
                inner.subscribe(new Flow.Subscriber<>() {
                    long sent;

                    @Override
                    public void onSubscribe(Flow.Subscription sub) {
                        s.onSubscribe(sub);
                    }

                    @Override
                    public void onNext(ByteBuffer item) {
                        sent += item.remaining();
                        s.onNext(item);
                        progress.accept(sent);
                    }

                    @Override
                    public void onError(Throwable t) {
                        s.onError(t);
                    }

                    @Override
                    public void onComplete() {
                        s.onComplete();
                    }
                });
            }
        };
    }

}

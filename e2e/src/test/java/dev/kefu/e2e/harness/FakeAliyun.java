package dev.kefu.e2e.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kefu.relay.files.FilesConfig;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.MultiPart;
import org.eclipse.jetty.http.MultiPartConfig;
import org.eclipse.jetty.http.MultiPartFormData;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * A local stand-in for Alibaba Cloud STS and OSS, copied from the relay's test sources
 * ({@code relay-server/src/test/.../files/FakeAliyun.java}, which this module cannot see) and given
 * what a browser needs on top: the bucket's CORS rule as docs/oss.md tells operators to set it
 * (preflights answered, {@code Access-Control-Allow-Origin} on every answer to a page).
 *
 * <p>It checks what the real services check: the RPC signature of AssumeRole under the RAM user's
 * secret; for PostObject the policy signature under the temporary secret, the security token, expiry
 * and the policy's conditions (bucket, key prefix, size range, success status) and the role session's
 * own policy; for presigned GETs the V1 query signature, expiry and token. Errors come back as OSS XML
 * with the real codes. Path-style only ({@code http://127.0.0.1:PORT/BUCKET/KEY}).
 */
public final class FakeAliyun implements AutoCloseable {
    public static final String RAM_ID = "LTAI-ram-user";
    public static final String RAM_SECRET = "ram-user-secret";
    public static final String BUCKET = "kefu-test";
    /** The bucket's CORS rule (docs/oss.md): methods a page may use. */
    private static final Set<String> CORS_METHODS = Set.of("POST", "GET", "PUT", "HEAD");
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Temp(String id, String secret, String token, Instant expiration, String policy) {}

    /** A stored object: its bytes and the content type it was uploaded with. */
    public record StoredObject(byte[] bytes, String mime) {}

    private final Map<String, Temp> issued = new ConcurrentHashMap<>();
    private final Map<String, StoredObject> objects = new ConcurrentHashMap<>();
    private final AtomicInteger preflights = new AtomicInteger();
    private final Server server = new Server();
    private final ServerConnector connector = new ServerConnector(server);

    private FakeAliyun(Path tmp) throws Exception {
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                String path = Request.getPathInContext(request);
                String method = request.getMethod();
                String origin = request.getHeaders().get(HttpHeader.ORIGIN);
                if (origin != null && !path.startsWith("/sts/")) {
                    response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
                    response.getHeaders().put(HttpHeader.VARY, "Origin");
                    response.getHeaders().put(HttpHeader.ACCESS_CONTROL_EXPOSE_HEADERS, "ETag, x-oss-request-id");
                }
                if (path.equals("/sts/")) {
                    sts(request, response, callback);
                } else if (method.equals("OPTIONS")) {
                    preflight(request, response, callback);
                } else if (path.equals("/" + BUCKET) && method.equals("POST")) {
                    postObject(request, response, callback, tmp);
                } else if (path.startsWith("/" + BUCKET + "/") && method.equals("GET")) {
                    get(path.substring(BUCKET.length() + 2), request, response, callback);
                } else {
                    error(response, 404, "NoSuchKey", "no route " + path, callback);
                }
                return true;
            }
        });
        server.start();
    }

    /** Starts the stand-in on a free port of 127.0.0.1; uploads are buffered under {@code tmp}. */
    public static FakeAliyun start(Path tmp) throws Exception {
        return new FakeAliyun(tmp);
    }

    /** {@code http://127.0.0.1:PORT}: the OSS endpoint, and the origin a page's CSP must allow. */
    public String endpoint() {
        return "http://127.0.0.1:" + connector.getLocalPort();
    }

    /** The relay's files settings for this stand-in: {@code maxBytes}, images and PDFs. */
    public FilesConfig relayConfig(long maxBytes) {
        return new FilesConfig("oss", maxBytes, List.of("image/*", "application/pdf"), endpoint(), "cn-hangzhou",
                BUCKET, "kefu", RAM_ID, RAM_SECRET, "acs:ram::123:role/kefu-uploader", endpoint() + "/sts/",
                Duration.ofHours(1));
    }

    /** The object under {@code key}, or null. */
    public StoredObject object(String key) {
        return objects.get(key);
    }

    /** Keys of every stored object. */
    public Set<String> keys() {
        return Set.copyOf(objects.keySet());
    }

    /** CORS preflights answered so far. */
    public int preflights() {
        return preflights.get();
    }

    private void preflight(Request request, Response response, Callback callback) {
        String wanted = request.getHeaders().get(HttpHeader.ACCESS_CONTROL_REQUEST_METHOD);
        if (request.getHeaders().get(HttpHeader.ORIGIN) == null || wanted == null || !CORS_METHODS.contains(wanted)) {
            error(response, 403, "AccessForbidden", "CORSResponse: This CORS request is not allowed.", callback);
            return;
        }
        preflights.incrementAndGet();
        response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_METHODS, String.join(", ", CORS_METHODS));
        String headers = request.getHeaders().get(HttpHeader.ACCESS_CONTROL_REQUEST_HEADERS);
        if (headers != null) {
            response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_HEADERS, headers); // "Allowed headers: *"
        }
        response.getHeaders().put(HttpHeader.ACCESS_CONTROL_MAX_AGE, "600");
        response.setStatus(200);
        callback.succeeded();
    }

    private void sts(Request request, Response response, Callback callback) {
        Fields form;
        try {
            form = Request.getParameters(request);
        } catch (Exception e) {
            json(response, 400, "{\"Code\":\"InvalidParameter\"}", callback);
            return;
        }
        Map<String, String> params = new TreeMap<>();
        form.forEach(f -> params.put(f.getName(), f.getValue()));
        String signature = params.remove("Signature");
        String canonical = params.entrySet().stream()
                .map(e -> percentEncode(e.getKey()) + "=" + percentEncode(e.getValue()))
                .collect(Collectors.joining("&"));
        String expected = hmacSha1Base64(RAM_SECRET + "&", "POST&%2F&" + percentEncode(canonical));
        if (!RAM_ID.equals(params.get("AccessKeyId")) || !expected.equals(signature)) {
            json(response, 400, "{\"Code\":\"SignatureDoesNotMatch\",\"Message\":\"bad signature\"}", callback);
            return;
        }
        if (!"AssumeRole".equals(params.get("Action")) || params.get("RoleArn") == null) {
            json(response, 400, "{\"Code\":\"MissingParameter\"}", callback);
            return;
        }
        Temp t = new Temp("STS." + UUID.randomUUID(), UUID.randomUUID().toString(), "token-" + UUID.randomUUID(),
                Instant.now().plusSeconds(3600), params.get("Policy"));
        issued.put(t.id, t);
        json(response, 200, "{\"Credentials\":{\"AccessKeyId\":\"" + t.id + "\",\"AccessKeySecret\":\"" + t.secret
                + "\",\"SecurityToken\":\"" + t.token + "\",\"Expiration\":\"" + t.expiration + "\"}}", callback);
    }

    private void postObject(Request request, Response response, Callback callback, Path tmp) {
        String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        MultiPartConfig cfg = new MultiPartConfig.Builder().location(tmp).maxParts(20).maxSize(200L * 1024 * 1024)
                .maxPartSize(200L * 1024 * 1024).maxMemoryPartSize(1024 * 1024).build();
        MultiPartFormData.from(request, request, contentType, cfg).whenComplete((parts, ex) -> {
            try {
                Map<String, String> f = new TreeMap<>();
                MultiPart.Part file = null;
                for (MultiPart.Part p : parts) {
                    if ("file".equals(p.getName())) {
                        file = p;
                    } else {
                        f.put(p.getName(), p.getContentAsString(StandardCharsets.UTF_8));
                    }
                }
                Temp t = issued.get(f.get("OSSAccessKeyId"));
                if (t == null) {
                    error(response, 403, "InvalidAccessKeyId", "unknown key", callback);
                    return;
                }
                if (!hmacSha1Base64(t.secret, f.get("policy")).equals(f.get("signature"))) {
                    error(response, 403, "SignatureDoesNotMatch", "policy signature", callback);
                    return;
                }
                if (!t.token.equals(f.get("x-oss-security-token"))) {
                    error(response, 403, "InvalidSecurityToken", "token", callback);
                    return;
                }
                if (t.expiration.isBefore(Instant.now())) {
                    error(response, 403, "SecurityTokenExpired", "credentials expired", callback);
                    return;
                }
                JsonNode policy = JSON.readTree(Base64.getDecoder().decode(f.get("policy")));
                if (Instant.parse(policy.get("expiration").asText()).isBefore(Instant.now())) {
                    error(response, 403, "AccessDenied", "Invalid according to Policy: Policy expired.", callback);
                    return;
                }
                String key = f.get("key").replace("${filename}", file.getFileName());
                long size = file.getLength();
                for (JsonNode c : policy.get("conditions")) {
                    if (c.isObject()) {
                        var e = c.fields().next();
                        String actual = e.getKey().equals("bucket") ? BUCKET : f.get(e.getKey());
                        if (!e.getValue().asText().equals(actual)) {
                            error(response, 403, "AccessDenied", "Invalid according to Policy: " + e.getKey(), callback);
                            return;
                        }
                    } else if ("starts-with".equals(c.get(0).asText()) && "$key".equals(c.get(1).asText())
                            && !key.startsWith(c.get(2).asText())) {
                        error(response, 403, "AccessDenied", "Invalid according to Policy: key", callback);
                        return;
                    } else if ("content-length-range".equals(c.get(0).asText())
                            && (size < c.get(1).asLong() || size > c.get(2).asLong())) {
                        error(response, 400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.", callback);
                        return;
                    } else if ("eq".equals(c.get(0).asText())
                            && !c.get(2).asText().equals(f.get(c.get(1).asText().substring(1)))) {
                        error(response, 403, "AccessDenied", "Invalid according to Policy: " + c.get(1).asText(), callback);
                        return;
                    }
                }
                // the role session's own policy must allow this key too
                String allowed = JSON.readTree(t.policy).get("Statement").get(0).get("Resource").get(0).asText();
                String allowedPrefix = allowed.substring(allowed.indexOf(BUCKET + "/") + BUCKET.length() + 1).replace("*", "");
                if (!key.startsWith(allowedPrefix)) {
                    error(response, 403, "AccessDenied", "not allowed by the role session policy", callback);
                    return;
                }
                ByteBuffer content = Content.Source.asByteBuffer(file.createContentSource());
                byte[] bytes = new byte[content.remaining()];
                content.get(bytes);
                String mime = file.getHeaders().get(HttpHeader.CONTENT_TYPE);
                objects.put(key, new StoredObject(bytes, mime == null ? "application/octet-stream" : mime));
                response.setStatus(Integer.parseInt(f.getOrDefault("success_action_status", "204")));
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/xml");
                Content.Sink.write(response, true, "<PostResponse><Key>" + key + "</Key></PostResponse>", callback);
            } catch (Exception e) {
                error(response, 400, "InvalidArgument", String.valueOf(e), callback);
            }
        });
    }

    private void get(String encodedKey, Request request, Response response, Callback callback) {
        String key = URLDecoder.decode(encodedKey, StandardCharsets.UTF_8);
        Fields q = Request.extractQueryParameters(request);
        Temp t = issued.get(q.getValue("OSSAccessKeyId"));
        if (t == null || !t.token.equals(q.getValue("security-token")) || q.getValue("Expires") == null) {
            error(response, 403, "InvalidAccessKeyId", "unknown key or token", callback);
            return;
        }
        long expires = Long.parseLong(q.getValue("Expires"));
        String toSign = "GET\n\n\n" + expires + "\n/" + BUCKET + "/" + key + "?security-token=" + t.token;
        if (!hmacSha1Base64(t.secret, toSign).equals(q.getValue("Signature"))) {
            error(response, 403, "SignatureDoesNotMatch", "query signature", callback);
            return;
        }
        if (expires < Instant.now().getEpochSecond()) {
            error(response, 403, "AccessDenied", "Request has expired.", callback);
            return;
        }
        StoredObject object = objects.get(key);
        if (object == null) {
            error(response, 404, "NoSuchKey", key, callback);
            return;
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, object.mime());
        response.write(true, ByteBuffer.wrap(object.bytes()), callback);
    }

    private static void json(Response response, int status, String body, Callback callback) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        Content.Sink.write(response, true, body, callback);
    }

    private static void error(Response response, int status, String code, String message, Callback callback) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/xml");
        Content.Sink.write(response, true, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code
                + "</Code><Message>" + message + "</Message><RequestId>fake</RequestId></Error>", callback);
    }

    private static String hmacSha1Base64(String key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            return Base64.getEncoder().encodeToString(mac.doFinal(data.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 missing from the JDK", e);
        }
    }

    /** RFC 3986 percent-encoding as Alibaba Cloud's RPC signatures want it (space %20, ~ kept). */
    private static String percentEncode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}

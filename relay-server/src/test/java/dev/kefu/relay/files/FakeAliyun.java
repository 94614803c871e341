package dev.kefu.relay.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * A local stand-in for Alibaba Cloud STS and OSS that checks what the real services check:
 * the RPC signature of AssumeRole under the RAM user's secret; for PostObject, the policy
 * signature under the temporary secret, the security token, expiry and the policy's conditions
 * (bucket, key prefix, size range, success status); for presigned GETs, the V1 query signature,
 * expiry and token. Errors come back as OSS XML with the real codes. Path-style only
 * ({@code http://127.0.0.1:PORT/BUCKET/KEY}), as the OSS SDK uses with an IP endpoint.
 */
final class FakeAliyun implements AutoCloseable {
    static final String RAM_ID = "LTAI-ram-user";
    static final String RAM_SECRET = "ram-user-secret";
    static final String BUCKET = "kefu-test";
    private static final ObjectMapper JSON = new ObjectMapper();

    record Temp(String id, String secret, String token, Instant expiration, String policy) {}

    final Map<String, Temp> issued = new ConcurrentHashMap<>();
    final Map<String, byte[]> objects = new ConcurrentHashMap<>();
    final List<String> stsPolicies = new CopyOnWriteArrayList<>();
    final AtomicInteger stsCalls = new AtomicInteger();
    /** Lifetime of issued credentials, seconds; negative issues already expired ones. */
    volatile long lifetimeSec = 3600;

    private final Server server = new Server();
    private final ServerConnector connector = new ServerConnector(server);

    FakeAliyun(Path tmp) throws Exception {
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                String path = Request.getPathInContext(request);
                if (path.equals("/sts/")) {
                    sts(request, response, callback);
                } else if (path.equals("/" + BUCKET) && request.getMethod().equals("POST")) {
                    postObject(request, response, callback, tmp);
                } else if (path.startsWith("/" + BUCKET + "/") && request.getMethod().equals("GET")) {
                    get(path.substring(BUCKET.length() + 2), request, response, callback);
                } else {
                    error(response, 404, "NoSuchKey", "no route " + path, callback);
                }
                return true;
            }
        });
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + connector.getLocalPort();
    }

    String stsEndpoint() {
        return endpoint() + "/sts/";
    }

    private void sts(Request request, Response response, Callback callback) throws Exception {
        stsCalls.incrementAndGet();
        Fields form = Request.getParameters(request);
        Map<String, String> params = new TreeMap<>();
        form.forEach(f -> params.put(f.getName(), f.getValue()));
        String signature = params.remove("Signature");
        String canonical = params.entrySet().stream()
                .map(e -> Signing.percentEncode(e.getKey()) + "=" + Signing.percentEncode(e.getValue()))
                .collect(Collectors.joining("&"));
        String expected = Signing.hmacSha1Base64(RAM_SECRET + "&", "POST&%2F&" + Signing.percentEncode(canonical));
        if (!RAM_ID.equals(params.get("AccessKeyId")) || !expected.equals(signature)) {
            json(response, 400, "{\"Code\":\"SignatureDoesNotMatch\",\"Message\":\"bad signature\"}", callback);
            return;
        }
        if (!"AssumeRole".equals(params.get("Action")) || params.get("RoleArn") == null) {
            json(response, 400, "{\"Code\":\"MissingParameter\"}", callback);
            return;
        }
        stsPolicies.add(params.get("Policy"));
        Temp t = new Temp("STS." + UUID.randomUUID(), UUID.randomUUID().toString(), "token-" + UUID.randomUUID(),
                Instant.now().plusSeconds(lifetimeSec), params.get("Policy"));
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
                if (!Signing.hmacSha1Base64(t.secret, f.get("policy")).equals(f.get("signature"))) {
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
                objects.put(key, Content.Source.asByteBuffer(file.createContentSource()).array());
                response.setStatus(Integer.parseInt(f.getOrDefault("success_action_status", "204")));
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
        if (t == null || !t.token.equals(q.getValue("security-token"))) {
            error(response, 403, "InvalidAccessKeyId", "unknown key or token", callback);
            return;
        }
        long expires = Long.parseLong(q.getValue("Expires"));
        String toSign = "GET\n\n\n" + expires + "\n/" + BUCKET + "/" + key + "?security-token=" + t.token;
        if (!Signing.hmacSha1Base64(t.secret, toSign).equals(q.getValue("Signature"))) {
            error(response, 403, "SignatureDoesNotMatch", "query signature", callback);
            return;
        }
        if (expires < Instant.now().getEpochSecond()) {
            error(response, 403, "AccessDenied", "Request has expired.", callback);
            return;
        }
        byte[] body = objects.get(key);
        if (body == null) {
            error(response, 404, "NoSuchKey", key, callback);
            return;
        }
        response.setStatus(200);
        response.write(true, ByteBuffer.wrap(body), callback);
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

    @Override
    public void close() throws Exception {
        server.stop();
    }
}

package dev.kefu.relay.testing;

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
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A local stand-in for Alibaba Cloud STS and OSS that checks what the real services check, for the
 * relay's, the desktop app's and the browser's requests alike. Its own signing code, not the relay's,
 * so that a mistake in one is not hidden by the same mistake in the other.
 * <ul>
 *   <li>STS AssumeRole: the RPC signature under the RAM user's secret.</li>
 *   <li>PostObject (browsers): the policy signature under the temporary secret, the security token,
 *   expiry, the policy's conditions (bucket, key prefix, size range, success status) and the role
 *   session's own policy.</li>
 *   <li>Requests signed in headers (the OSS SDK): PutObject, InitiateMultipartUpload ({@code POST
 *   ?uploads}), UploadPart ({@code PUT ?partNumber&uploadId}), CompleteMultipartUpload ({@code POST
 *   ?uploadId}), AbortMultipartUpload, each with a V1 ({@code OSS AK:signature}, Date at most 15 min
 *   off) or V4 ({@code OSS4-HMAC-SHA256 Credential=AK/DATE/REGION/oss/aliyun_v4_request, ...},
 *   {@code x-oss-date}, {@code x-oss-content-sha256: UNSIGNED-PAYLOAD}) signature, the token, expiry
 *   and the session policy's action and key prefix.</li>
 *   <li>Presigned GETs: the V1 query signature, expiry and token.</li>
 *   <li>The bucket's CORS rule as docs/oss.md tells operators to set it: preflights answered,
 *   {@code Access-Control-Allow-Origin} on every answer to a page.</li>
 * </ul>
 * Errors come back as OSS XML with the real codes, and are listed in {@link #refused()}. Path-style
 * only ({@code http://127.0.0.1:PORT/BUCKET/KEY}), as the OSS SDK uses with an IP endpoint.
 */
public final class FakeAliyun implements AutoCloseable {
    public static final String RAM_ID = "LTAI-ram-user";
    public static final String RAM_SECRET = "ram-user-secret";
    public static final String BUCKET = "kefu-test";
    public static final String REGION = "cn-hangzhou";
    /** The bucket's CORS rule (docs/oss.md): methods a page may use. */
    private static final Set<String> CORS_METHODS = Set.of("POST", "GET", "PUT", "HEAD");
    /** Query parameters that are part of the V1 canonicalized resource (of those the SDK may send). */
    private static final Set<String> SUBRESOURCES = Set.of("acl", "uploads", "uploadId", "partNumber", "location",
            "append", "position", "tagging", "objectMeta", "symlink", "restore", "security-token", "sequential",
            "response-content-type", "response-content-disposition", "x-oss-process");
    private static final String DEFAULT_MIME = "application/octet-stream";
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Temp(String id, String secret, String token, Instant expiration, String policy) {}

    private record Upload(String key, String mime, Map<Integer, byte[]> parts) {}

    /** A stored object: its bytes and the content type it was uploaded with ({@value #DEFAULT_MIME} if none). */
    public record StoredObject(byte[] bytes, String mime) {}

    private final Map<String, Temp> issued = new ConcurrentHashMap<>();
    private final Map<String, StoredObject> objects = new ConcurrentHashMap<>();
    private final Map<String, Upload> uploads = new ConcurrentHashMap<>();
    private final List<String> stsPolicies = new CopyOnWriteArrayList<>();
    private final List<String> accepted = new CopyOnWriteArrayList<>();
    private final List<String> refused = new CopyOnWriteArrayList<>();
    private final AtomicInteger stsCalls = new AtomicInteger();
    private final AtomicInteger partsStored = new AtomicInteger();
    private final AtomicInteger preflights = new AtomicInteger();
    private final CountDownLatch firstDrop = new CountDownLatch(1);
    private volatile long lifetimeSec = 3600;
    private volatile int dropPartsAfter = -1;
    private volatile boolean verifyWithWrongSecret;

    private final Path tmp;
    private final Server server = new Server();
    private final ServerConnector connector = new ServerConnector(server);

    private FakeAliyun(Path tmp) throws Exception {
        this.tmp = tmp;
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                route(request, response, callback);
                return true;
            }
        });
        server.start();
    }

    /** Starts the stand-in on a free port of 127.0.0.1; PostObject uploads are buffered under {@code tmp}. */
    public static FakeAliyun start(Path tmp) throws Exception {
        return new FakeAliyun(tmp);
    }

    /** {@code http://127.0.0.1:PORT}: the OSS endpoint, and the origin a page's CSP must allow. */
    public String endpoint() {
        return "http://127.0.0.1:" + connector.getLocalPort();
    }

    public String stsEndpoint() {
        return endpoint() + "/sts/";
    }

    /** The relay's files settings for this stand-in: {@code maxBytes} per file, images and PDFs. */
    public FilesConfig relayConfig(long maxBytes) {
        return new FilesConfig("oss", maxBytes, List.of("image/*", "application/pdf"), endpoint(), REGION,
                BUCKET, "kefu", RAM_ID, RAM_SECRET, "acs:ram::123:role/kefu-uploader", stsEndpoint(),
                Duration.ofHours(1));
    }

    // ---- what tests look at ----

    /** The object under {@code key}, or null. */
    public StoredObject object(String key) {
        return objects.get(key);
    }

    /** Keys of every stored object. */
    public Set<String> keys() {
        return Set.copyOf(objects.keySet());
    }

    /** The inline policy of every AssumeRole, in order. */
    public List<String> stsPolicies() {
        return List.copyOf(stsPolicies);
    }

    public int stsCalls() {
        return stsCalls.get();
    }

    /** Every header-signed request that passed the checks: "V1 PutObject KEY", "V4 UploadPart KEY #3", ... */
    public List<String> accepted() {
        return List.copyOf(accepted);
    }

    /** Requests accepted whose label contains {@code what}. */
    public long partRequests(String what) {
        return accepted.stream().filter(a -> a.contains(what)).count();
    }

    /** Every refusal as "CODE: message", and every connection cut by {@link #dropPartsAfter}. */
    public List<String> refused() {
        return List.copyOf(refused);
    }

    /** UploadParts stored so far, over all uploads. */
    public int partsStored() {
        return partsStored.get();
    }

    /** CORS preflights answered so far. */
    public int preflights() {
        return preflights.get();
    }

    /** Waits for the first connection cut by {@link #dropPartsAfter}; false when none came in time. */
    public boolean awaitFirstDrop(Duration timeout) throws InterruptedException {
        return firstDrop.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    // ---- faults ----

    /** Lifetime of credentials issued from now on, seconds (default 3600); negative issues already expired ones. */
    public void lifetimeSec(long seconds) {
        lifetimeSec = seconds;
    }

    /** When {@code >= 0}, UploadParts after this many stored parts get their connection cut; -1 (default) never. */
    public void dropPartsAfter(int parts) {
        dropPartsAfter = parts;
    }

    /** Verifies header signatures with a secret other than the one issued (to prove the checks can fail). */
    public void verifyWithWrongSecret(boolean wrong) {
        verifyWithWrongSecret = wrong;
    }

    // ---- routes ----

    private void route(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        String method = request.getMethod();
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin != null && !path.startsWith("/sts/")) {
            response.getHeaders().put(HttpHeader.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            response.getHeaders().put(HttpHeader.VARY, "Origin");
            response.getHeaders().put(HttpHeader.ACCESS_CONTROL_EXPOSE_HEADERS, "ETag, x-oss-request-id");
        }
        try {
            if (path.equals("/sts/")) {
                sts(request, response, callback);
            } else if (method.equals("OPTIONS")) {
                preflight(request, response, callback);
            } else if (path.equals("/" + BUCKET) && method.equals("POST")) {
                postObject(request, response, callback);
            } else if (path.startsWith("/" + BUCKET + "/") && method.equals("GET")
                    && request.getHeaders().get("Authorization") == null) {
                presignedGet(path.substring(BUCKET.length() + 2), request, response, callback);
            } else if (path.startsWith("/" + BUCKET + "/")) {
                object(URLDecoder.decode(path.substring(BUCKET.length() + 2).replace("+", "%2B"),
                        StandardCharsets.UTF_8), request, response, callback);
            } else {
                throw new Refusal(404, "NoSuchKey", "no route " + path);
            }
        } catch (Refusal r) {
            // as OSS does: read the body before answering, so the client sees the error, not a reset
            Content.Source.asInputStream(request).transferTo(OutputStream.nullOutputStream());
            error(response, r, callback);
        }
    }

    private void preflight(Request request, Response response, Callback callback) throws Refusal {
        String wanted = request.getHeaders().get(HttpHeader.ACCESS_CONTROL_REQUEST_METHOD);
        if (request.getHeaders().get(HttpHeader.ORIGIN) == null || wanted == null || !CORS_METHODS.contains(wanted)) {
            throw new Refusal(403, "AccessForbidden", "CORSResponse: This CORS request is not allowed.");
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

    // ---- STS ----

    private void sts(Request request, Response response, Callback callback) {
        stsCalls.incrementAndGet();
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
            refused.add("SignatureDoesNotMatch: AssumeRole");
            json(response, 400, "{\"Code\":\"SignatureDoesNotMatch\",\"Message\":\"bad signature\"}", callback);
            return;
        }
        if (!"AssumeRole".equals(params.get("Action")) || params.get("RoleArn") == null) {
            refused.add("MissingParameter: AssumeRole");
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

    // ---- PostObject (a browser's form upload, signed by a policy) ----

    private void postObject(Request request, Response response, Callback callback) {
        String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        MultiPartConfig cfg = new MultiPartConfig.Builder().location(tmp).maxParts(20).maxSize(200L * 1024 * 1024)
                .maxPartSize(200L * 1024 * 1024).maxMemoryPartSize(1024 * 1024).build();
        MultiPartFormData.from(request, request, contentType, cfg).whenComplete((parts, ex) -> {
            try {
                if (ex != null) {
                    throw new Refusal(400, "InvalidArgument", "unreadable form: " + ex);
                }
                storePostedObject(parts, response, callback);
            } catch (Refusal r) {
                error(response, r, callback);
            } catch (Exception e) {
                error(response, new Refusal(400, "InvalidArgument", String.valueOf(e)), callback);
            }
        });
    }

    private void storePostedObject(MultiPartFormData.Parts parts, Response response, Callback callback) throws Exception {
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
            throw new Refusal(403, "InvalidAccessKeyId", "unknown key");
        }
        if (!hmacSha1Base64(t.secret, f.get("policy")).equals(f.get("signature"))) {
            throw new Refusal(403, "SignatureDoesNotMatch", "policy signature");
        }
        if (!t.token.equals(f.get("x-oss-security-token"))) {
            throw new Refusal(403, "InvalidSecurityToken", "token");
        }
        if (t.expiration.isBefore(Instant.now())) {
            throw new Refusal(403, "SecurityTokenExpired", "credentials expired");
        }
        JsonNode policy = JSON.readTree(Base64.getDecoder().decode(f.get("policy")));
        if (Instant.parse(policy.get("expiration").asText()).isBefore(Instant.now())) {
            throw new Refusal(403, "AccessDenied", "Invalid according to Policy: Policy expired.");
        }
        String key = f.get("key").replace("${filename}", file.getFileName());
        long size = file.getLength();
        for (JsonNode c : policy.get("conditions")) {
            if (c.isObject()) {
                var e = c.fields().next();
                String actual = e.getKey().equals("bucket") ? BUCKET : f.get(e.getKey());
                if (!e.getValue().asText().equals(actual)) {
                    throw new Refusal(403, "AccessDenied", "Invalid according to Policy: " + e.getKey());
                }
            } else if ("starts-with".equals(c.get(0).asText()) && "$key".equals(c.get(1).asText())
                    && !key.startsWith(c.get(2).asText())) {
                throw new Refusal(403, "AccessDenied", "Invalid according to Policy: key");
            } else if ("content-length-range".equals(c.get(0).asText())
                    && (size < c.get(1).asLong() || size > c.get(2).asLong())) {
                throw new Refusal(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.");
            } else if ("eq".equals(c.get(0).asText())
                    && !c.get(2).asText().equals(f.get(c.get(1).asText().substring(1)))) {
                throw new Refusal(403, "AccessDenied", "Invalid according to Policy: " + c.get(1).asText());
            }
        }
        // the role session's own policy must allow this key too
        String allowed = JSON.readTree(t.policy).get("Statement").get(0).get("Resource").get(0).asText();
        String allowedPrefix = allowed.substring(allowed.indexOf(BUCKET + "/") + BUCKET.length() + 1).replace("*", "");
        if (!key.startsWith(allowedPrefix)) {
            throw new Refusal(403, "AccessDenied", "not allowed by the role session policy");
        }
        ByteBuffer content = Content.Source.asByteBuffer(file.createContentSource());
        byte[] bytes = new byte[content.remaining()];
        content.get(bytes);
        objects.put(key, new StoredObject(bytes, mimeOr(file.getHeaders().get(HttpHeader.CONTENT_TYPE))));
        response.setStatus(Integer.parseInt(f.getOrDefault("success_action_status", "204")));
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/xml");
        Content.Sink.write(response, true, "<PostResponse><Key>" + xml(key) + "</Key></PostResponse>", callback);
    }

    // ---- OSS object requests signed in headers (the OSS SDK) ----

    private void object(String key, Request request, Response response, Callback callback) throws Exception {
        String method = request.getMethod();
        Map<String, String> query = new TreeMap<>();
        String rawQuery = request.getHttpURI().getQuery();
        if (rawQuery != null && !rawQuery.isEmpty()) {
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                query.put(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
                        eq < 0 ? null : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        String action;
        if (method.equals("PUT") && query.containsKey("partNumber") && query.containsKey("uploadId")) {
            action = "UploadPart";
        } else if (method.equals("PUT")) {
            action = "PutObject";
        } else if (method.equals("POST") && query.containsKey("uploads")) {
            action = "InitiateMultipartUpload";
        } else if (method.equals("POST") && query.containsKey("uploadId")) {
            action = "CompleteMultipartUpload";
        } else if (method.equals("DELETE") && query.containsKey("uploadId")) {
            action = "AbortMultipartUpload";
        } else if (method.equals("GET") && query.containsKey("uploadId")) {
            action = "ListParts";
        } else if (method.equals("GET") || method.equals("HEAD")) {
            action = "GetObject";
        } else {
            throw new Refusal(405, "MethodNotAllowed", method + " not supported here");
        }
        String version = authorize(key, action, request, query);
        if (action.equals("UploadPart") && dropPartsAfter >= 0 && partsStored.get() >= dropPartsAfter) {
            refused.add("dropped UploadPart #" + query.get("partNumber"));
            firstDrop.countDown();
            request.getConnectionMetaData().getConnection().getEndPoint().close();
            callback.failed(new IOException("dropped"));
            return;
        }
        byte[] body = Content.Source.asInputStream(request).readAllBytes();
        String label = version + " " + action + " " + key;
        switch (action) {
            case "PutObject" -> {
                objects.put(key, new StoredObject(body, mimeOr(request.getHeaders().get(HttpHeader.CONTENT_TYPE))));
                ok(response, etag(body), "", callback);
            }
            case "InitiateMultipartUpload" -> {
                String id = UUID.randomUUID().toString().replace("-", "");
                uploads.put(id, new Upload(key, mimeOr(request.getHeaders().get(HttpHeader.CONTENT_TYPE)),
                        new ConcurrentSkipListMap<>()));
                ok(response, null, "<InitiateMultipartUploadResult><Bucket>" + BUCKET + "</Bucket><Key>" + xml(key)
                        + "</Key><UploadId>" + id + "</UploadId></InitiateMultipartUploadResult>", callback);
            }
            case "UploadPart" -> {
                Upload u = upload(query, key);
                int n = Integer.parseInt(query.get("partNumber"));
                u.parts.put(n, body);
                partsStored.incrementAndGet();
                label += " #" + n;
                ok(response, etag(body), "", callback);
            }
            case "CompleteMultipartUpload" -> {
                Upload u = upload(query, key);
                String list = new String(body, StandardCharsets.UTF_8);
                Matcher m = Pattern.compile("<PartNumber>(\\d+)</PartNumber>\\s*<ETag>([^<]*)</ETag>").matcher(list);
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                int expectedNo = 0;
                while (m.find()) {
                    int n = Integer.parseInt(m.group(1));
                    byte[] part = u.parts.get(n);
                    if (n <= expectedNo || part == null || !m.group(2).replace("&quot;", "\"").equals(etag(part))) {
                        throw new Refusal(400, "InvalidPart", "part " + n + " missing or ETag mismatch");
                    }
                    expectedNo = n;
                    all.write(part);
                }
                objects.put(key, new StoredObject(all.toByteArray(), u.mime));
                uploads.remove(query.get("uploadId"));
                ok(response, "\"" + UUID.randomUUID() + "-" + expectedNo + "\"", "<CompleteMultipartUploadResult><Bucket>"
                        + BUCKET + "</Bucket><Key>" + xml(key) + "</Key><ETag>\"x\"</ETag></CompleteMultipartUploadResult>", callback);
            }
            case "AbortMultipartUpload" -> {
                uploads.remove(query.get("uploadId"));
                response.setStatus(204);
                callback.succeeded();
            }
            default -> throw new Refusal(405, "MethodNotAllowed", action + " not supported here");
        }
        accepted.add(label);
    }

    private Upload upload(Map<String, String> query, String key) throws Refusal {
        Upload u = uploads.get(query.get("uploadId"));
        if (u == null || !u.key.equals(key)) {
            throw new Refusal(404, "NoSuchUpload", "The specified upload does not exist.");
        }
        return u;
    }

    /** Checks signature, token, expiry and the session policy; answers "V1" or "V4". */
    private String authorize(String key, String action, Request request, Map<String, String> query) throws Refusal {
        String auth = request.getHeaders().get("Authorization");
        if (auth == null) {
            throw new Refusal(403, "AccessDenied", "anonymous access is forbidden for this operation");
        }
        Temp t;
        String version;
        if (auth.startsWith("OSS ")) {
            version = "V1";
            String[] ak = auth.substring(4).split(":", 2);
            t = credentials(ak[0], request.getHeaders().get("x-oss-security-token"));
            String date = request.getHeaders().get("Date");
            if (date == null) {
                throw new Refusal(403, "AccessDenied", "Date header missing");
            }
            Instant at = ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            if (Duration.between(at, Instant.now()).abs().toMinutes() >= 15) {
                throw new Refusal(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.");
            }
            String toSign = v1StringToSign(request, key, query);
            String expected = base64(hmac("HmacSHA1", secret(t).getBytes(StandardCharsets.UTF_8), toSign));
            if (!expected.equals(ak[1])) {
                throw new Refusal(403, "SignatureDoesNotMatch", "The request signature we calculated does not match. StringToSign: "
                        + toSign.replace("\n", "\\n"));
            }
        } else if (auth.startsWith("OSS4-HMAC-SHA256 ")) {
            version = "V4";
            Map<String, String> parts = new TreeMap<>();
            for (String p : auth.substring("OSS4-HMAC-SHA256 ".length()).split(",")) {
                String[] kv = p.trim().split("=", 2);
                parts.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
            String[] cred = parts.getOrDefault("Credential", "").split("/");
            if (cred.length != 5 || !cred[3].equals("oss") || !cred[4].equals("aliyun_v4_request")) {
                throw new Refusal(400, "InvalidArgument", "malformed V4 Credential " + parts.get("Credential"));
            }
            t = credentials(cred[0], request.getHeaders().get("x-oss-security-token"));
            String ossDate = request.getHeaders().get("x-oss-date");
            if (ossDate == null || !ossDate.startsWith(cred[1])) {
                throw new Refusal(403, "AccessDenied", "x-oss-date missing or not of the credential's day");
            }
            Instant at = ZonedDateTime.of(LocalDateTime.parse(ossDate,
                    DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")), ZoneOffset.UTC).toInstant();
            if (Duration.between(at, Instant.now()).abs().toMinutes() >= 15) {
                throw new Refusal(403, "RequestTimeTooSkewed", "request time too skewed");
            }
            if (!cred[2].equals(REGION)) {
                throw new Refusal(400, "InvalidArgument", "region " + cred[2] + " is not this bucket's " + REGION);
            }
            if (!"UNSIGNED-PAYLOAD".equals(request.getHeaders().get("x-oss-content-sha256"))) {
                throw new Refusal(403, "AccessDenied", "x-oss-content-sha256 must be UNSIGNED-PAYLOAD");
            }
            String canonical = v4CanonicalRequest(request, key, query, parts.getOrDefault("AdditionalHeaders", ""));
            String scope = cred[1] + "/" + cred[2] + "/oss/aliyun_v4_request";
            String toSign = "OSS4-HMAC-SHA256\n" + ossDate + "\n" + scope + "\n" + hex(sha256(canonical));
            byte[] k = hmac("HmacSHA256", ("aliyun_v4" + secret(t)).getBytes(StandardCharsets.UTF_8), cred[1]);
            k = hmac("HmacSHA256", k, cred[2]);
            k = hmac("HmacSHA256", k, "oss");
            k = hmac("HmacSHA256", k, "aliyun_v4_request");
            String expected = hex(hmac("HmacSHA256", k, toSign));
            if (!expected.equals(parts.get("Signature"))) {
                throw new Refusal(403, "SignatureDoesNotMatch", "V4 signature mismatch; canonical request: "
                        + canonical.replace("\n", "\\n"));
            }
        } else {
            throw new Refusal(400, "InvalidArgument", "unknown Authorization scheme");
        }
        // the role session's inline policy: the action and the resource
        try {
            JsonNode st = JSON.readTree(t.policy).get("Statement").get(0);
            boolean actionOk = false;
            for (JsonNode a : st.get("Action")) {
                actionOk |= a.asText().equals("oss:" + action);
            }
            String allowed = st.get("Resource").get(0).asText();
            String allowedPrefix = allowed.substring(allowed.indexOf(BUCKET + "/") + BUCKET.length() + 1).replace("*", "");
            if (!actionOk || !key.startsWith(allowedPrefix)) {
                throw new Refusal(403, "AccessDenied", "You have no right to access this object because of bucket acl"
                        + " or the role session policy (" + action + " on " + key + ")");
            }
        } catch (Refusal r) {
            throw r;
        } catch (Exception e) {
            throw new Refusal(403, "AccessDenied", "unreadable session policy");
        }
        return version;
    }

    private String secret(Temp t) {
        return verifyWithWrongSecret ? t.secret + "-not" : t.secret;
    }

    private Temp credentials(String accessKeyId, String token) throws Refusal {
        Temp t = issued.get(accessKeyId);
        if (t == null) {
            throw new Refusal(403, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.");
        }
        if (!t.token.equals(token)) {
            throw new Refusal(403, "InvalidSecurityToken", "The security token you provided is invalid.");
        }
        if (t.expiration.isBefore(Instant.now())) {
            throw new Refusal(403, "SecurityTokenExpired", "The security token you provided has expired.");
        }
        return t;
    }

    private static String v1StringToSign(Request request, String key, Map<String, String> query) {
        var h = request.getHeaders();
        StringBuilder sb = new StringBuilder();
        sb.append(request.getMethod()).append('\n');
        sb.append(nz(h.get("Content-MD5"))).append('\n');
        sb.append(nz(h.get(HttpHeader.CONTENT_TYPE))).append('\n');
        sb.append(nz(h.get("Date"))).append('\n');
        Map<String, String> oss = new TreeMap<>();
        h.forEach(f -> {
            String n = f.getName().toLowerCase(Locale.ROOT);
            if (n.startsWith("x-oss-")) {
                oss.put(n, f.getValue().trim());
            }
        });
        oss.forEach((n, v) -> sb.append(n).append(':').append(v).append('\n'));
        sb.append('/').append(BUCKET).append('/').append(key);
        String sub = query.entrySet().stream().filter(e -> SUBRESOURCES.contains(e.getKey()))
                .map(e -> e.getValue() == null ? e.getKey() : e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("&"));
        if (!sub.isEmpty()) {
            sb.append('?').append(sub);
        }
        return sb.toString();
    }

    private static String v4CanonicalRequest(Request request, String key, Map<String, String> query, String additional) {
        var h = request.getHeaders();
        Set<String> extra = additional.isEmpty() ? Set.of()
                : Set.of(additional.toLowerCase(Locale.ROOT).split(";"));
        Map<String, String> signed = new TreeMap<>();
        h.forEach(f -> {
            String n = f.getName().toLowerCase(Locale.ROOT);
            if (n.startsWith("x-oss-") || n.equals("content-type") || n.equals("content-md5") || extra.contains(n)) {
                signed.put(n, f.getValue().trim());
            }
        });
        StringBuilder sb = new StringBuilder();
        sb.append(request.getMethod()).append('\n');
        sb.append(uriEncode("/" + BUCKET + "/" + key, false)).append('\n');
        sb.append(query.entrySet().stream()
                .map(e -> uriEncode(e.getKey(), true) + (e.getValue() == null || e.getValue().isEmpty() ? ""
                        : "=" + uriEncode(e.getValue(), true)))
                .sorted().collect(Collectors.joining("&"))).append('\n');
        signed.forEach((n, v) -> sb.append(n).append(':').append(v).append('\n'));
        sb.append('\n');
        sb.append(additional.isEmpty() ? "" : String.join(";", new TreeSet<>(extra))).append('\n');
        sb.append("UNSIGNED-PAYLOAD");
        return sb.toString();
    }

    // ---- presigned GET (a download link the relay signed) ----

    private void presignedGet(String encodedKey, Request request, Response response, Callback callback) throws Refusal {
        String key = URLDecoder.decode(encodedKey, StandardCharsets.UTF_8);
        Fields q = Request.extractQueryParameters(request);
        Temp t = issued.get(q.getValue("OSSAccessKeyId"));
        if (t == null || !t.token.equals(q.getValue("security-token")) || q.getValue("Expires") == null) {
            throw new Refusal(403, "InvalidAccessKeyId", "unknown key or token");
        }
        long expires = Long.parseLong(q.getValue("Expires"));
        String toSign = "GET\n\n\n" + expires + "\n/" + BUCKET + "/" + key + "?security-token=" + t.token;
        if (!hmacSha1Base64(t.secret, toSign).equals(q.getValue("Signature"))) {
            throw new Refusal(403, "SignatureDoesNotMatch", "query signature");
        }
        if (expires < Instant.now().getEpochSecond()) {
            throw new Refusal(403, "AccessDenied", "Request has expired.");
        }
        StoredObject object = objects.get(key);
        if (object == null) {
            throw new Refusal(404, "NoSuchKey", key);
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, object.mime());
        response.write(true, ByteBuffer.wrap(object.bytes()), callback);
    }

    // ---- plumbing ----

    private static final class Refusal extends Exception {
        final int status;
        final String code;

        Refusal(int status, String code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }

    private static void ok(Response response, String etag, String xmlBody, Callback callback) {
        response.setStatus(200);
        response.getHeaders().put("x-oss-request-id", UUID.randomUUID().toString());
        if (etag != null) {
            response.getHeaders().put("ETag", etag);
        }
        if (!xmlBody.isEmpty()) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/xml");
        }
        Content.Sink.write(response, true, xmlBody, callback);
    }

    private static void json(Response response, int status, String body, Callback callback) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        Content.Sink.write(response, true, body, callback);
    }

    private void error(Response response, Refusal r, Callback callback) {
        refused.add(r.code + ": " + r.getMessage());
        response.setStatus(r.status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/xml");
        response.getHeaders().put("x-oss-request-id", "fake");
        Content.Sink.write(response, true, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + r.code
                + "</Code><Message>" + xml(r.getMessage()) + "</Message><RequestId>fake</RequestId></Error>", callback);
    }

    private static String mimeOr(String contentType) {
        return contentType == null || contentType.isEmpty() ? DEFAULT_MIME : contentType;
    }

    private static String etag(byte[] body) {
        try {
            return "\"" + HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("MD5").digest(body)) + "\"";
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("MD5 missing from the JDK", e);
        }
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    /** RFC 3986 percent-encoding as Alibaba Cloud's RPC signatures want it (space %20, ~ kept). */
    private static String percentEncode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
    }

    /** RFC 3986 unreserved kept; {@code /} kept in paths. */
    private static String uriEncode(String s, boolean encodeSlash) {
        String e = percentEncode(s);
        return encodeSlash ? e : e.replace("%2F", "/");
    }

    private static String hmacSha1Base64(String key, String data) {
        return base64(hmac("HmacSHA1", key.getBytes(StandardCharsets.UTF_8), data));
    }

    private static byte[] hmac(String alg, byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance(alg);
            mac.init(new SecretKeySpec(key, alg));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(alg + " missing from the JDK", e);
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    private static String base64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}

package dev.kefu.agent.upload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.eclipse.jetty.http.HttpHeader;
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
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A local stand-in for Alibaba Cloud STS and OSS that checks what the real services check, copied
 * from relay-server's test of the same name and extended to the requests of the OSS SDK:
 * PutObject, InitiateMultipartUpload ({@code POST ?uploads}), UploadPart ({@code PUT
 * ?partNumber&uploadId}), CompleteMultipartUpload ({@code POST ?uploadId}). Each is checked for
 * <ul>
 *   <li>the header signature, V1 ({@code OSS AK:base64(HMAC-SHA1(secret, VERB\nContent-MD5\n
 *   Content-Type\nDate\nCanonicalizedOSSHeaders+CanonicalizedResource))}, Date at most 15 min
 *   off) or V4 ({@code OSS4-HMAC-SHA256 Credential=AK/DATE/REGION/oss/aliyun_v4_request,
 *   AdditionalHeaders=..., Signature=...} over the canonical request, {@code x-oss-date},
 *   {@code x-oss-content-sha256: UNSIGNED-PAYLOAD}), under the temporary secret;</li>
 *   <li>the {@code x-oss-security-token} of those credentials, and their expiry;</li>
 *   <li>the role session's inline policy: the action and the key's prefix.</li>
 * </ul>
 * Errors come back as OSS XML with the real codes. Path-style only. {@link #dropPartsAfter} makes
 * it cut the connection of every UploadPart after that many parts were stored (a network drop).
 */
final class FakeAliyun implements AutoCloseable {
    static final String RAM_ID = "LTAI-ram-user";
    static final String RAM_SECRET = "ram-user-secret";
    static final String BUCKET = "kefu-test";
    static final String REGION = "cn-hangzhou";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Query parameters that are part of the V1 canonicalized resource (of those the SDK may send). */
    private static final Set<String> SUBRESOURCES = Set.of("acl", "uploads", "uploadId", "partNumber", "location",
            "append", "position", "tagging", "objectMeta", "symlink", "restore", "security-token", "sequential",
            "response-content-type", "response-content-disposition", "x-oss-process");

    record Temp(String id, String secret, String token, Instant expiration, String policy) {}

    record Upload(String key, Map<Integer, byte[]> parts) {}

    final Map<String, Temp> issued = new ConcurrentHashMap<>();
    final Map<String, byte[]> objects = new ConcurrentHashMap<>();
    final Map<String, String> contentTypes = new ConcurrentHashMap<>();
    final Map<String, Upload> uploads = new ConcurrentHashMap<>();
    final List<String> stsPolicies = new CopyOnWriteArrayList<>();
    /** Every request that passed the checks: "V1 PutObject key", "V4 UploadPart key #3", ... */
    final List<String> accepted = new CopyOnWriteArrayList<>();
    final List<String> refused = new CopyOnWriteArrayList<>();
    final AtomicInteger stsCalls = new AtomicInteger();
    final AtomicInteger partsStored = new AtomicInteger();
    /** Lifetime of issued credentials, seconds; negative issues already expired ones. */
    volatile long lifetimeSec = 3600;
    /** When >= 0, UploadParts after this many stored parts get their connection cut. */
    volatile int dropPartsAfter = -1;
    /** Counted down at the first dropped connection. */
    final java.util.concurrent.CountDownLatch firstDrop = new java.util.concurrent.CountDownLatch(1);
    /** Verifies signatures with a secret other than the one issued (to prove the checks can fail). */
    volatile boolean verifyWithWrongSecret;

    private final Server server = new Server();
    private final ServerConnector connector = new ServerConnector(server);

    FakeAliyun() throws Exception {
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                String path = Request.getPathInContext(request);
                String method = request.getMethod();
                try {
                    if (path.equals("/sts/")) {
                        sts(request, response, callback);
                    } else if (path.startsWith("/" + BUCKET + "/") && method.equals("GET")
                            && request.getHeaders().get("Authorization") == null) {
                        get(path.substring(BUCKET.length() + 2), request, response, callback);
                    } else if (path.startsWith("/" + BUCKET + "/")) {
                        object(URLDecoder.decode(path.substring(BUCKET.length() + 2).replace("+", "%2B"),
                                StandardCharsets.UTF_8), request, response, callback);
                    } else {
                        error(response, 404, "NoSuchKey", "no route " + path, callback);
                    }
                } catch (Refusal r) {
                    refused.add(r.code + ": " + r.getMessage());
                    // as OSS does: read the body before answering, so the client sees the error, not a reset
                    Content.Source.asInputStream(request).transferTo(java.io.OutputStream.nullOutputStream());
                    error(response, r.status, r.code, r.getMessage(), callback);
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

    long partRequests(String what) {
        return accepted.stream().filter(a -> a.contains(what)).count();
    }

    // ---- STS ----

    private void sts(Request request, Response response, Callback callback) throws Exception {
        stsCalls.incrementAndGet();
        Fields form = Request.getParameters(request);
        Map<String, String> params = new TreeMap<>();
        form.forEach(f -> params.put(f.getName(), f.getValue()));
        String signature = params.remove("Signature");
        String canonical = params.entrySet().stream()
                .map(e -> percentEncode(e.getKey()) + "=" + percentEncode(e.getValue()))
                .collect(Collectors.joining("&"));
        String expected = base64(hmac("HmacSHA1", (RAM_SECRET + "&").getBytes(StandardCharsets.UTF_8),
                "POST&%2F&" + percentEncode(canonical)));
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

    // ---- OSS object requests signed in headers ----

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
            callback.failed(new java.io.IOException("dropped"));
            return;
        }
        byte[] body = Content.Source.asInputStream(request).readAllBytes();
        String label = version + " " + action + " " + key;
        switch (action) {
            case "PutObject" -> {
                objects.put(key, body);
                String ct = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
                contentTypes.put(key, ct == null ? "" : ct);
                ok(response, etag(body), "", callback);
            }
            case "InitiateMultipartUpload" -> {
                String id = UUID.randomUUID().toString().replace("-", "");
                uploads.put(id, new Upload(key, new ConcurrentSkipListMap<>()));
                String ct = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
                contentTypes.put(key, ct == null ? "" : ct);
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
                objects.put(key, all.toByteArray());
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
            t = credentials(ak[0], request);
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
            t = credentials(cred[0], request);
            String ossDate = request.getHeaders().get("x-oss-date");
            if (ossDate == null || !ossDate.startsWith(cred[1])) {
                throw new Refusal(403, "AccessDenied", "x-oss-date missing or not of the credential's day");
            }
            Instant at = ZonedDateTime.of(java.time.LocalDateTime.parse(ossDate,
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
            byte[] k = hmacBytes(("aliyun_v4" + secret(t)).getBytes(StandardCharsets.UTF_8), cred[1]);
            k = hmacBytes(k, cred[2]);
            k = hmacBytes(k, "oss");
            k = hmacBytes(k, "aliyun_v4_request");
            String expected = hex(hmacBytes(k, toSign));
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

    private Temp credentials(String accessKeyId, Request request) throws Refusal {
        Temp t = issued.get(accessKeyId);
        if (t == null) {
            throw new Refusal(403, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.");
        }
        if (!t.token.equals(request.getHeaders().get("x-oss-security-token"))) {
            throw new Refusal(403, "InvalidSecurityToken", "The security token you provided is invalid.");
        }
        if (t.expiration.isBefore(Instant.now())) {
            throw new Refusal(403, "SecurityTokenExpired", "The security token you provided has expired.");
        }
        return t;
    }

    static String v1StringToSign(Request request, String key, Map<String, String> query) {
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

    static String v4CanonicalRequest(Request request, String key, Map<String, String> query, String additional) {
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
        sb.append(additional.isEmpty() ? "" : String.join(";", new java.util.TreeSet<>(extra))).append('\n');
        sb.append("UNSIGNED-PAYLOAD");
        return sb.toString();
    }

    // ---- presigned GET (as in relay-server's fake) ----

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
        if (!base64(hmac("HmacSHA1", t.secret.getBytes(StandardCharsets.UTF_8), toSign)).equals(q.getValue("Signature"))) {
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

    private static String etag(byte[] body) {
        try {
            return "\"" + HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("MD5").digest(body)) + "\"";
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    private static void json(Response response, int status, String body, Callback callback) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        Content.Sink.write(response, true, body, callback);
    }

    private static void error(Response response, int status, String code, String message, Callback callback) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/xml");
        response.getHeaders().put("x-oss-request-id", "fake");
        Content.Sink.write(response, true, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code
                + "</Code><Message>" + xml(message) + "</Message><RequestId>fake</RequestId></Error>", callback);
    }

    static String percentEncode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
    }

    /** RFC 3986 unreserved kept; {@code /} kept in paths. */
    static String uriEncode(String s, boolean encodeSlash) {
        String e = percentEncode(s);
        return encodeSlash ? e : e.replace("%2F", "/");
    }

    private static byte[] hmacBytes(byte[] key, String data) {
        return hmac("HmacSHA256", key, data);
    }

    private static byte[] hmac(String alg, byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance(alg);
            mac.init(new SecretKeySpec(key, alg));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new IllegalStateException(e);
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

package dev.kefu.relay.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kefu.relay.store.FileStore;
import dev.kefu.relay.store.Ids;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Files without passing them through the relay: it hands out what a client needs to upload
 * straight to storage (temporary STS credentials for the desktop app, a PostObject policy for
 * browsers) and short-lived signed download URLs. In {@code local} mode the relay plays the storage
 * itself, behind the very same answers: a PostObject-shaped form upload, a one-time upload token,
 * HMAC-signed download URLs. Keys live under per-uploader prefixes:
 * {@code PREFIX/a/AGENT_ID/...} and {@code PREFIX/v/SITE/VISITOR_ID/...}.
 */
public final class FileService {
    /** The folder under the data folder where {@code local} mode keeps files. */
    public static final String LOCAL_FOLDER = "files";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Any printable characters (emoji and CJK file names included); no control characters or backslashes. */
    private static final Pattern KEY = Pattern.compile("[^\\p{Cntrl}\\\\]{1,512}");
    /** Browser upload policies live at most this long. */
    static final Duration POLICY_TTL = Duration.ofMinutes(10);
    /** Cached STS credentials are renewed this long before they expire. */
    static final Duration RENEW_BEFORE = Duration.ofMinutes(5);

    private final FilesConfig config;
    private final Path root;
    private final String localSecret;
    private final FileStore files;
    private final Clock clock;
    private final StsClient sts;
    private final Map<String, StsCredentials> stsCache = new ConcurrentHashMap<>();
    private final Map<String, LocalGrant> localTokens = new ConcurrentHashMap<>();
    private final Map<String, Instant> usedPolicies = new ConcurrentHashMap<>();

    public FileService(FilesConfig config, Path dataDir, byte[] signingKey, FileStore files, Clock clock) {
        this.config = config;
        this.root = dataDir.resolve(LOCAL_FOLDER).toAbsolutePath().normalize();
        this.localSecret = Base64.getEncoder().encodeToString(signingKey) + ":files";
        this.files = files;
        this.clock = clock;
        this.sts = config.isOss() ? new StsClient(config.stsEndpoint() == null ? "https://sts.aliyuncs.com"
                : config.stsEndpoint(), config.accessKeyId(), config.accessKeySecret()) : null;
    }

    public FilesConfig config() {
        return config;
    }

    public String agentPrefix(String agentId) {
        return config.prefix() + "/a/" + agentId + "/";
    }

    public String visitorPrefix(String site, String visitorId) {
        return config.prefix() + "/v/" + site + "/" + visitorId + "/";
    }

    /** Whether {@code key} is a well-formed object key of this relay (no traversal, no control characters). */
    public boolean isValidKey(String key) {
        return key != null && KEY.matcher(key).matches() && !key.contains("..") && !key.contains("//")
                && key.startsWith(config.prefix() + "/") && !key.endsWith("/");
    }

    // ---- grants ----

    /** {@code POST /api/files/credentials}: what the desktop app uploads with. */
    public ObjectNode agentCredentials(String agentId, URI relayBase) {
        String prefix = agentPrefix(agentId);
        ObjectNode out = JSON.createObjectNode();
        if (config.isOss()) {
            StsCredentials c = cachedSts("agent:" + agentId, "kefu-agent-" + agentId,
                    putPolicy(config.prefix() + "/a/" + agentId + "/*"));
            out.put("mode", "oss").put("endpoint", config.endpoint()).put("bucket", config.bucket())
                    .put("region", config.region()).put("prefix", prefix).put("accessKeyId", c.accessKeyId())
                    .put("accessKeySecret", c.accessKeySecret()).put("securityToken", c.securityToken())
                    .put("expiration", c.expiration().toString());
        } else {
            String token = Ids.random(32);
            Instant expires = clock.instant().plus(Duration.ofMinutes(15));
            localTokens.put(token, new LocalGrant(prefix, expires, "agent:" + agentId));
            out.put("mode", "local").put("uploadUrl", relayBase.resolve("/api/files/upload").toString())
                    .put("prefix", prefix).put("token", token).put("expiration", expires.toString());
        }
        out.put("maxSize", config.maxBytes());
        out.set("allowedTypes", JSON.valueToTree(config.allowedTypes()));
        return out;
    }

    /** {@code POST /api/files/policy}: the fields of a PostObject form for a direct browser upload. */
    public ObjectNode browserPolicy(String site, String visitorId, URI relayBase) {
        String prefix = visitorPrefix(site, visitorId);
        Instant expires = clock.instant().plus(POLICY_TTL);
        ArrayNode conditions = JSON.createArrayNode();
        conditions.add(JSON.createObjectNode().put("bucket", config.isOss() ? config.bucket() : "local"));
        conditions.add(JSON.createArrayNode().add("starts-with").add("$key").add(prefix));
        conditions.add(JSON.createArrayNode().add("content-length-range").add(1).add(config.maxBytes()));
        conditions.add(JSON.createArrayNode().add("eq").add("$success_action_status").add("201"));
        ObjectNode out = JSON.createObjectNode();
        String accessKeyId;
        String secret;
        if (config.isOss()) {
            StsCredentials c = cachedSts("visitors", "kefu-visitors", putPolicy(config.prefix() + "/v/*"));
            if (c.expiration().isBefore(expires)) {
                expires = c.expiration();
            }
            conditions.add(JSON.createObjectNode().put("x-oss-security-token", c.securityToken()));
            accessKeyId = c.accessKeyId();
            secret = c.accessKeySecret();
            out.put("mode", "oss").put("host", bucketUrl()).put("x-oss-security-token", c.securityToken());
        } else {
            conditions.add(JSON.createObjectNode().put("x-kefu-nonce", Ids.random(16)));
            accessKeyId = "local";
            secret = localSecret;
            out.put("mode", "local").put("host", relayBase.resolve("/api/files/upload").toString());
        }
        ObjectNode policy = JSON.createObjectNode().put("expiration", expires.toString());
        policy.set("conditions", conditions);
        String encoded = Signing.base64(policy.toString());
        out.put("key", prefix).put("policy", encoded).put("OSSAccessKeyId", accessKeyId)
                .put("signature", Signing.hmacSha1Base64(secret, encoded)).put("success_action_status", "201")
                .put("maxSize", config.maxBytes()).put("expiration", expires.toString());
        out.set("allowedTypes", JSON.valueToTree(config.allowedTypes()));
        return out;
    }

    /** A download URL valid for {@code ttl} (at most an hour). */
    public ObjectNode downloadUrl(String key, URI relayBase, Duration ttl) {
        if (!isValidKey(key)) {
            throw new FileException(400, "malformed key");
        }
        Instant expires = clock.instant().plus(ttl);
        String url;
        if (config.isOss()) {
            StsCredentials c = cachedSts("downloads", "kefu-downloads", getPolicy(config.prefix() + "/*"));
            if (c.expiration().isBefore(expires)) {
                expires = c.expiration();
            }
            long exp = expires.getEpochSecond();
            String resource = "/" + config.bucket() + "/" + key + "?security-token=" + c.securityToken();
            String signature = Signing.hmacSha1Base64(c.accessKeySecret(), "GET\n\n\n" + exp + "\n" + resource);
            url = objectUrl(key) + "?OSSAccessKeyId=" + Signing.percentEncode(c.accessKeyId()) + "&Expires=" + exp
                    + "&Signature=" + Signing.percentEncode(signature) + "&security-token="
                    + Signing.percentEncode(c.securityToken());
        } else {
            long exp = expires.getEpochSecond();
            url = relayBase.resolve("/files/" + encodePath(key)).toString() + "?exp=" + exp + "&sig="
                    + localSignature(key, exp);
        }
        return JSON.createObjectNode().put("url", url).put("expiresAt", expires.toEpochMilli());
    }

    // ---- local storage ----

    /** A one-time upload by a desktop app (local mode): checks the token, the key's prefix, size and type. */
    public void storeWithToken(String token, String key, String name, String mime, long declaredSize, InputStream body) {
        LocalGrant grant = token == null ? null : localTokens.get(token);
        if (grant == null || grant.expires.isBefore(clock.instant())) {
            throw new FileException(403, "unknown or expired upload token");
        }
        if (!key.startsWith(grant.prefix)) {
            throw new FileException(403, "key outside the granted prefix " + grant.prefix);
        }
        store(key, name, mime, declaredSize, body, grant.uploader);
        localTokens.remove(token);
    }

    /**
     * A browser's PostObject-shaped form upload (local mode): checks the policy's signature, expiry,
     * key prefix and size range exactly as OSS would, and that the policy was not used before.
     */
    public void storeWithPolicy(Map<String, String> fields, String name, String mime, long declaredSize, InputStream body) {
        String policy = fields.get("policy");
        String signature = fields.get("signature");
        if (policy == null || signature == null || !"local".equals(fields.get("OSSAccessKeyId"))) {
            throw new FileException(403, "policy, signature and OSSAccessKeyId are required");
        }
        if (!MessageDigest.isEqual(signature.getBytes(StandardCharsets.US_ASCII),
                Signing.hmacSha1Base64(localSecret, policy).getBytes(StandardCharsets.US_ASCII))) {
            throw new FileException(403, "policy signature does not match");
        }
        JsonNode p;
        try {
            p = JSON.readTree(Base64.getDecoder().decode(policy));
        } catch (IOException | IllegalArgumentException e) {
            throw new FileException(400, "malformed policy");
        }
        Instant expires = Instant.parse(p.path("expiration").asText("1970-01-01T00:00:00Z"));
        if (expires.isBefore(clock.instant())) {
            throw new FileException(403, "policy expired");
        }
        String key = fields.get("key");
        String prefix = null;
        long min = 0;
        long max = Long.MAX_VALUE;
        String nonce = null;
        for (JsonNode c : p.path("conditions")) {
            if (c.isArray() && "starts-with".equals(c.path(0).asText()) && "$key".equals(c.path(1).asText())) {
                prefix = c.path(2).asText();
            } else if (c.isArray() && "content-length-range".equals(c.path(0).asText())) {
                min = c.path(1).asLong();
                max = c.path(2).asLong();
            } else if (c.has("x-kefu-nonce")) {
                nonce = c.get("x-kefu-nonce").asText();
            }
        }
        if (key == null || prefix == null || !key.startsWith(prefix)) {
            throw new FileException(403, "key outside the policy's prefix");
        }
        if (declaredSize >= 0 && (declaredSize < min || declaredSize > max)) {
            throw new FileException(413, "file size outside " + min + ".." + max + " bytes");
        }
        if (nonce == null || usedPolicies.putIfAbsent(nonce, expires) != null) {
            throw new FileException(403, "this upload policy was used already");
        }
        String visitorRoot = config.prefix() + "/v/";
        String uploader = prefix.startsWith(visitorRoot) && prefix.length() > visitorRoot.length()
                ? "visitor:" + prefix.substring(visitorRoot.length(), prefix.length() - 1) : "visitor:?";
        store(key, name, mime, declaredSize, body, uploader);
        usedPolicies.entrySet().removeIf(e -> e.getValue().isBefore(clock.instant()));
    }

    private void store(String key, String name, String mime, long declaredSize, InputStream body, String uploader) {
        if (!isValidKey(key)) {
            throw new FileException(400, "malformed key");
        }
        if (!config.allows(mime)) {
            throw new FileException(415, "file type " + mime + " is not allowed");
        }
        if (declaredSize > config.maxBytes()) {
            throw new FileException(413, "file above " + config.maxBytes() + " bytes");
        }
        Path target = resolve(key);
        try {
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), ".upload", ".part");
            try {
                long size;
                try (InputStream limited = body) {
                    size = copyAtMost(limited, tmp, config.maxBytes());
                }
                if (size == 0) {
                    throw new FileException(400, "empty file");
                }
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                files.save(new FileStore.FileRecord(key, name, mime.split(";")[0].trim(), size, uploader, clock.millis()));
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new FileException(503, "cannot store the file: " + e.getMessage());
        }
    }

    private static long copyAtMost(InputStream in, Path out, long max) throws IOException {
        long total = 0;
        byte[] buf = new byte[64 * 1024];
        try (var os = Files.newOutputStream(out)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                total += n;
                if (total > max) {
                    throw new FileException(413, "file above " + max + " bytes");
                }
                os.write(buf, 0, n);
            }
        }
        return total;
    }

    /** A locally kept file for a signed download URL, or a FileException (403 bad or expired signature, 404). */
    public LocalFile open(String key, long exp, String sig) {
        if (!isValidKey(key)) {
            throw new FileException(400, "malformed key");
        }
        if (sig == null || exp < clock.instant().getEpochSecond()
                || !MessageDigest.isEqual(sig.getBytes(StandardCharsets.US_ASCII),
                localSignature(key, exp).getBytes(StandardCharsets.US_ASCII))) {
            throw new FileException(403, "bad or expired download signature");
        }
        Path path = resolve(key);
        FileStore.FileRecord meta = files.find(key).orElseThrow(() -> new FileException(404, "no such file"));
        if (!Files.isRegularFile(path)) {
            throw new FileException(404, "no such file");
        }
        return new LocalFile(path, meta.mime(), meta.name(), meta.size());
    }

    /** A file on the relay's disk. */
    public record LocalFile(Path path, String mime, String name, long size) {}

    private Path resolve(String key) {
        Path p = root.resolve(key).normalize();
        if (!p.startsWith(root)) {
            throw new FileException(400, "malformed key");
        }
        return p;
    }

    private String localSignature(String key, long exp) {
        return Signing.hmacSha256Base64Url(localSecret.getBytes(StandardCharsets.UTF_8), key + "\n" + exp);
    }

    // ---- OSS ----

    private StsCredentials cachedSts(String cacheKey, String sessionName, String policy) {
        return stsCache.compute(cacheKey, (k, c) -> c != null && c.expiration().isAfter(clock.instant().plus(RENEW_BEFORE))
                ? c : sts.assumeRole(config.roleArn(), sessionName.length() > 64 ? sessionName.substring(0, 64) : sessionName,
                policy, config.credentialTtl()));
    }

    private String putPolicy(String resource) {
        return policy(new String[] {"oss:PutObject", "oss:InitiateMultipartUpload", "oss:UploadPart",
                "oss:CompleteMultipartUpload", "oss:AbortMultipartUpload", "oss:ListParts"}, resource);
    }

    private String getPolicy(String resource) {
        return policy(new String[] {"oss:GetObject"}, resource);
    }

    private String policy(String[] actions, String resource) {
        ObjectNode statement = JSON.createObjectNode().put("Effect", "Allow");
        statement.set("Action", JSON.valueToTree(actions));
        statement.set("Resource", JSON.createArrayNode().add("acs:oss:*:*:" + config.bucket() + "/" + resource));
        ObjectNode policy = JSON.createObjectNode().put("Version", "1");
        policy.set("Statement", JSON.createArrayNode().add(statement));
        return policy.toString();
    }

    /** {@code https://bucket.oss-...}, or path style {@code http://127.0.0.1:PORT/bucket} for an IP endpoint. */
    String bucketUrl() {
        URI e = URI.create(config.endpoint());
        String host = e.getHost();
        boolean ip = host.matches("[0-9.]+") || host.equals("localhost");
        return ip ? e.getScheme() + "://" + e.getAuthority() + "/" + config.bucket()
                : e.getScheme() + "://" + config.bucket() + "." + e.getAuthority();
    }

    private String objectUrl(String key) {
        return bucketUrl() + "/" + encodePath(key);
    }

    private static String encodePath(String key) {
        StringBuilder sb = new StringBuilder();
        for (String part : key.split("/", -1)) {
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(Signing.percentEncode(part));
        }
        return sb.toString();
    }

    private record LocalGrant(String prefix, Instant expires, String uploader) {}
}

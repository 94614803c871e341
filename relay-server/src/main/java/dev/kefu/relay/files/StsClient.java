package dev.kefu.relay.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Calls STS {@code AssumeRole} (RPC API 2015-04-01, signature method HMAC-SHA1 1.0) with an inline
 * policy that narrows the role to what one grant needs. Written against the documented wire format
 * instead of the Aliyun SDK, which would add a dozen transitive libraries to a relay that needs one call.
 */
final class StsClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'")
            .withZone(ZoneOffset.UTC);

    private final URI endpoint;
    private final String accessKeyId;
    private final String accessKeySecret;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    StsClient(String endpoint, String accessKeyId, String accessKeySecret) {
        this.endpoint = URI.create(endpoint.endsWith("/") ? endpoint : endpoint + "/");
        this.accessKeyId = accessKeyId;
        this.accessKeySecret = accessKeySecret;
    }

    StsCredentials assumeRole(String roleArn, String sessionName, String policyJson, Duration lifetime) {
        Map<String, String> params = new TreeMap<>();
        params.put("Action", "AssumeRole");
        params.put("Version", "2015-04-01");
        params.put("Format", "JSON");
        params.put("AccessKeyId", accessKeyId);
        params.put("SignatureMethod", "HMAC-SHA1");
        params.put("SignatureVersion", "1.0");
        params.put("SignatureNonce", UUID.randomUUID().toString());
        params.put("Timestamp", TIMESTAMP.format(Instant.now()));
        params.put("RoleArn", roleArn);
        params.put("RoleSessionName", sessionName);
        params.put("Policy", policyJson);
        params.put("DurationSeconds", Long.toString(lifetime.toSeconds()));
        String canonical = params.entrySet().stream()
                .map(e -> Signing.percentEncode(e.getKey()) + "=" + Signing.percentEncode(e.getValue()))
                .collect(Collectors.joining("&"));
        String stringToSign = "POST&%2F&" + Signing.percentEncode(canonical);
        String body = canonical + "&Signature=" + Signing.percentEncode(Signing.hmacSha1Base64(accessKeySecret + "&", stringToSign));
        HttpRequest request = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(15))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode json = JSON.readTree(r.body());
            if (r.statusCode() != 200 || !json.has("Credentials")) {
                throw new FileException(503, "STS AssumeRole failed: " + json.path("Code").asText(String.valueOf(r.statusCode()))
                        + " " + json.path("Message").asText(""));
            }
            JsonNode c = json.get("Credentials");
            return new StsCredentials(c.get("AccessKeyId").asText(), c.get("AccessKeySecret").asText(),
                    c.get("SecurityToken").asText(), Instant.parse(c.get("Expiration").asText()));
        } catch (IOException e) {
            throw new FileException(503, "STS unreachable: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FileException(503, "interrupted calling STS");
        }
    }
}

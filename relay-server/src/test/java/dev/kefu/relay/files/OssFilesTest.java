package dev.kefu.relay.files;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.relay.testing.FakeAliyun;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** OSS mode against a local STS + OSS stand-in that checks signatures, tokens, expiry and policy conditions. */
class OssFilesTest {
    @TempDir
    Path data;
    @TempDir
    Path tmp;
    FakeAliyun aliyun;
    RelayFixture relay;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        aliyun = FakeAliyun.start(tmp);
        relay = RelayFixture.start(data, c -> c.withFiles(aliyun.relayConfig(5 * 1024 * 1024)));
    }

    @AfterEach
    void stop() throws Exception {
        relay.close();
        aliyun.close();
    }

    JsonNode policyFor(String vid) throws Exception {
        HttpResponse<String> r = relay.post("/api/files/policy", "{\"site\":\"shop\",\"visitor\":\"" + vid + "\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return FrameCodec.parse(r.body());
    }

    HttpResponse<String> postObject(JsonNode policy, String key, String filename, String mime, byte[] bytes) throws Exception {
        Map<String, String> fields = LocalFilesTest.formFields(policy, key);
        fields.put("x-oss-security-token", policy.get("x-oss-security-token").asText());
        Multipart form = new Multipart().fields(fields).file(filename, mime, bytes);
        return http.send(HttpRequest.newBuilder(URI.create(policy.get("host").asText()))
                .header("Content-Type", form.contentType()).POST(HttpRequest.BodyPublishers.ofByteArray(form.build())).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void browserUploadsStraightToOss_agentReceivesTheImage_andDownloadsItBySignedUrl() throws Exception {
        String vid = RelayFixture.newVisitorId();
        JsonNode policy = policyFor(vid);
        assertThat(policy.get("mode").asText()).isEqualTo("oss");
        assertThat(policy.get("host").asText()).isEqualTo(aliyun.endpoint() + "/" + FakeAliyun.BUCKET);
        byte[] bytes = LocalFilesTest.png(300_000);
        HttpResponse<String> up = postObject(policy, policy.get("key").asText() + "p1/${filename}", "相片.png", "image/png", bytes);
        assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
        String key = policy.get("key").asText() + "p1/相片.png";
        assertThat(aliyun.object(key).bytes()).isEqualTo(bytes);

        try (WsClient visitor = relay.visitor(vid); WsClient agent = relay.agent("bob")) {
            visitor.next("welcome");
            agent.next("welcome");
            visitor.send(new Frame.Send("c1", null, "image", null, new Frame.FileRef(key, "相片.png", (long) bytes.length, "image/png")));
            visitor.next("ack");
            assertThat(agent.next("msg").get("file").get("key").asText()).isEqualTo(key);
            HttpResponse<String> signed = relay.api("GET", "/api/files/url?key=" + URLEncoder.encode(key, StandardCharsets.UTF_8),
                    relay.token("bob"), null);
            assertThat(signed.statusCode()).as(signed.body()).isEqualTo(200);
            String url = FrameCodec.parse(signed.body()).get("url").asText();
            HttpResponse<byte[]> download = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(download.statusCode()).isEqualTo(200);
            assertThat(download.body()).isEqualTo(bytes);
            HttpResponse<byte[]> tampered = http.send(HttpRequest.newBuilder(URI.create(url.replace("Expires=", "Expires=1"))).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(tampered.statusCode()).isEqualTo(403);
        }
    }

    @Test
    void agentCredentials_areScopedToItsPrefix_andReusedUntilCloseToExpiry() throws Exception {
        String token = relay.token("alice");
        JsonNode first = FrameCodec.parse(relay.api("POST", "/api/files/credentials", token, null).body());
        assertThat(first.get("mode").asText()).isEqualTo("oss");
        assertThat(first.get("securityToken").asText()).startsWith("token-");
        String prefix = first.get("prefix").asText();
        assertThat(prefix).startsWith("kefu/a/");
        assertThat(aliyun.stsPolicies()).anySatisfy(p -> assertThat(p).contains(FakeAliyun.BUCKET + "/" + prefix + "*")
                .contains("oss:PutObject").contains("oss:UploadPart"));
        int calls = aliyun.stsCalls();
        JsonNode second = FrameCodec.parse(relay.api("POST", "/api/files/credentials", token, null).body());
        assertThat(second.get("accessKeyId").asText()).isEqualTo(first.get("accessKeyId").asText());
        assertThat(aliyun.stsCalls()).isEqualTo(calls);
        assertThat(relay.api("POST", "/api/files/credentials", "forged", null).statusCode()).isEqualTo(401);
    }

    @Test
    void keyOutsideThePrefix_andOversizeFile_areRefusedByOss() throws Exception {
        String vid = RelayFixture.newVisitorId();
        JsonNode p1 = policyFor(vid);
        HttpResponse<String> outside = postObject(p1, "kefu/v/shop/someone-else-0000/x.png", "x.png", "image/png", LocalFilesTest.png(10));
        assertThat(outside.statusCode()).isEqualTo(403);
        assertThat(outside.body()).contains("<Code>AccessDenied</Code>");

        HttpResponse<String> big = postObject(policyFor(vid), p1.get("key").asText() + "big.png", "big.png", "image/png",
                LocalFilesTest.png(6 * 1024 * 1024));
        assertThat(big.statusCode()).isEqualTo(400);
        assertThat(big.body()).contains("EntityTooLarge");
    }

    @Test
    void expiredCredentials_makeTheUploadFail() throws Exception {
        aliyun.lifetimeSec(-10);
        JsonNode policy = policyFor(RelayFixture.newVisitorId());
        HttpResponse<String> up = postObject(policy, policy.get("key").asText() + "late.png", "late.png", "image/png",
                LocalFilesTest.png(10));
        assertThat(up.statusCode()).isEqualTo(403);
        assertThat(up.body()).containsAnyOf("SecurityTokenExpired", "Policy expired");
    }

    @Test
    void stsDown_givesAClearServiceError() throws Exception {
        relay.close();
        relay = RelayFixture.start(data, c -> c.withFiles(new FilesConfig("oss", 1024, List.of("image/*"), aliyun.endpoint(),
                FakeAliyun.REGION, FakeAliyun.BUCKET, "kefu", FakeAliyun.RAM_ID, "wrong-secret", "acs:ram::123:role/x",
                aliyun.stsEndpoint(), Duration.ofHours(1))));
        HttpResponse<String> r = relay.post("/api/files/policy", "{\"site\":\"shop\",\"visitor\":\"" + RelayFixture.newVisitorId() + "\"}");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(FrameCodec.parse(r.body()).get("message").asText()).contains("SignatureDoesNotMatch");
    }
}

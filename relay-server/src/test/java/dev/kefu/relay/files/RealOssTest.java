package dev.kefu.relay.files;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.relay.testing.RelayFixture;
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
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The browser flow against real Alibaba Cloud STS and OSS. Runs only when these are set:
 * KEFU_OSS_ENDPOINT, KEFU_OSS_REGION, KEFU_OSS_BUCKET, KEFU_OSS_ACCESS_KEY_ID,
 * KEFU_OSS_ACCESS_KEY_SECRET, KEFU_OSS_ROLE_ARN (see docs/oss.md); JUnit reports it skipped otherwise.
 */
class RealOssTest {
    @TempDir
    Path data;

    @Test
    void policyUploadAndSignedDownload_againstRealOss() throws Exception {
        Map<String, String> env = System.getenv();
        assumeTrue(env.containsKey("KEFU_OSS_ENDPOINT") && env.containsKey("KEFU_OSS_ACCESS_KEY_SECRET")
                        && env.containsKey("KEFU_OSS_ROLE_ARN"),
                "SKIPPED: no Alibaba Cloud credentials in the environment (KEFU_OSS_*); the fake STS/OSS tests ran instead");
        FilesConfig cfg = new FilesConfig("oss", 10 * 1024 * 1024, FilesConfig.DEFAULT_TYPES, env.get("KEFU_OSS_ENDPOINT"),
                env.get("KEFU_OSS_REGION"), env.get("KEFU_OSS_BUCKET"), env.getOrDefault("KEFU_OSS_PREFIX", "kefu-test"),
                env.get("KEFU_OSS_ACCESS_KEY_ID"), env.get("KEFU_OSS_ACCESS_KEY_SECRET"), env.get("KEFU_OSS_ROLE_ARN"),
                env.getOrDefault("KEFU_STS_ENDPOINT", "https://sts.aliyuncs.com"), Duration.ofMinutes(15));
        try (RelayFixture relay = RelayFixture.start(data, c -> c.withFiles(cfg))) {
            String vid = RelayFixture.newVisitorId();
            JsonNode policy = FrameCodec.parse(relay.post("/api/files/policy",
                    "{\"site\":\"shop\",\"visitor\":\"" + vid + "\"}").body());
            Map<String, String> fields = LocalFilesTest.formFields(policy, policy.get("key").asText() + "real.png");
            fields.put("x-oss-security-token", policy.get("x-oss-security-token").asText());
            Multipart form = new Multipart().fields(fields).file("real.png", "image/png", LocalFilesTest.png(1000));
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> up = http.send(HttpRequest.newBuilder(URI.create(policy.get("host").asText()))
                    .header("Content-Type", form.contentType()).POST(HttpRequest.BodyPublishers.ofByteArray(form.build()))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
            String key = policy.get("key").asText() + "real.png";
            JsonNode url = FrameCodec.parse(relay.get("/api/files/url?site=shop&visitor=" + vid + "&key="
                    + URLEncoder.encode(key, StandardCharsets.UTF_8)).body());
            HttpResponse<byte[]> down = http.send(HttpRequest.newBuilder(URI.create(url.get("url").asText())).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(down.body()).isEqualTo(LocalFilesTest.png(1000));
        }
    }
}

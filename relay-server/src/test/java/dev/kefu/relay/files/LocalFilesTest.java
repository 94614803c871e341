package dev.kefu.relay.files;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
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
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Files in the embedded default (local) mode: the same flow as OSS, the relay playing the storage. */
class LocalFilesTest {
    @TempDir
    Path data;
    RelayFixture relay;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        relay = RelayFixture.start(data, c -> c.withFiles(new FilesConfig("local", 1024 * 1024,
                java.util.List.of("image/*", "application/pdf"), null, null, null, "kefu", null, null, null, null, null)));
    }

    @AfterEach
    void stop() {
        relay.close();
    }

    static byte[] png(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        b[0] = (byte) 0x89;
        b[1] = 'P';
        b[2] = 'N';
        b[3] = 'G';
        return b;
    }

    HttpResponse<byte[]> put(String url, String mime, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", mime)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<String> postForm(String url, Multipart form) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", form.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.build())).build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode policyFor(String vid) throws Exception {
        HttpResponse<String> r = relay.post("/api/files/policy", "{\"site\":\"shop\",\"visitor\":\"" + vid + "\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return FrameCodec.parse(r.body());
    }

    static Map<String, String> formFields(JsonNode policy, String key) {
        Map<String, String> f = new HashMap<>();
        f.put("key", key);
        for (String name : new String[] {"policy", "OSSAccessKeyId", "signature", "success_action_status"}) {
            f.put(name, policy.get(name).asText());
        }
        return f;
    }

    @Test
    void agentUploadsWithItsOneTimeToken_sendsTheImage_andTheVisitorDownloadsTheSameBytes() throws Exception {
        String token = relay.token("alice");
        JsonNode creds = FrameCodec.parse(relay.api("POST", "/api/files/credentials", token, null).body());
        assertThat(creds.get("mode").asText()).isEqualTo("local");
        String key = creds.get("prefix").asText() + "x1/截图 1.png";
        byte[] bytes = png(50_000);
        String url = creds.get("uploadUrl").asText() + "?key=" + URLEncoder.encode(key, StandardCharsets.UTF_8)
                + "&token=" + creds.get("token").asText() + "&name=" + URLEncoder.encode("截图 1.png", StandardCharsets.UTF_8);
        assertThat(put(url, "image/png", bytes).statusCode()).isEqualTo(200);
        assertThat(put(url, "image/png", bytes).statusCode()).isEqualTo(403); // the token was one-time

        String vid = RelayFixture.newVisitorId();
        try (WsClient visitor = relay.visitor(vid); WsClient agent = relay.agent("alice")) {
            visitor.next("welcome");
            agent.next("welcome");
            visitor.send(new Frame.Send("c1", null, "text", "please send a screenshot", null));
            String conv = visitor.next("ack").get("conv").asText();
            agent.send(new Frame.Send("a1", conv, "image", null, new Frame.FileRef(key, "截图 1.png", (long) bytes.length, "image/png")));
            agent.next("ack");
            JsonNode msg = visitor.next(f -> "msg".equals(f.path("type").asText()) && "image".equals(f.path("kind").asText()), "image");
            assertThat(msg.get("file").get("key").asText()).isEqualTo(key);

            String q = "/api/files/url?site=shop&visitor=" + vid + "&key=" + URLEncoder.encode(key, StandardCharsets.UTF_8);
            HttpResponse<String> signed = relay.get(q);
            assertThat(signed.statusCode()).as(signed.body()).isEqualTo(200);
            HttpResponse<byte[]> download = get(FrameCodec.parse(signed.body()).get("url").asText());
            assertThat(download.statusCode()).isEqualTo(200);
            assertThat(download.body()).isEqualTo(bytes);
            assertThat(download.headers().firstValue("Content-Type")).hasValue("image/png");

            String stranger = "/api/files/url?site=shop&visitor=" + RelayFixture.newVisitorId() + "&key="
                    + URLEncoder.encode(key, StandardCharsets.UTF_8);
            assertThat(relay.get(stranger).statusCode()).isEqualTo(403);
        }
    }

    @Test
    void visitorUploadsByPostObjectForm_agentReceivesIt_andCanDownloadIt() throws Exception {
        String vid = RelayFixture.newVisitorId();
        JsonNode policy = policyFor(vid);
        assertThat(policy.get("mode").asText()).isEqualTo("local");
        String key = policy.get("key").asText() + "r1/${filename}";
        byte[] bytes = png(20_000);
        HttpResponse<String> up = postForm(policy.get("host").asText(),
                new Multipart().fields(formFields(policy, key)).file("photo 📷.png", "image/png", bytes));
        assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
        String stored = policy.get("key").asText() + "r1/photo 📷.png";
        assertThat(up.body()).contains(stored);

        try (WsClient visitor = relay.visitor(vid); WsClient agent = relay.agent("bob")) {
            visitor.next("welcome");
            agent.next("welcome");
            visitor.send(new Frame.Send("c1", null, "image", "my broken item",
                    new Frame.FileRef(stored, "photo 📷.png", (long) bytes.length, "image/png")));
            visitor.next("ack");
            JsonNode msg = agent.next("msg");
            assertThat(msg.get("file").get("name").asText()).isEqualTo("photo 📷.png");
            HttpResponse<String> signed = relay.api("GET", "/api/files/url?key=" + URLEncoder.encode(stored, StandardCharsets.UTF_8),
                    relay.token("bob"), null);
            assertThat(signed.statusCode()).as(signed.body()).isEqualTo(200);
            assertThat(get(FrameCodec.parse(signed.body()).get("url").asText()).body()).isEqualTo(bytes);
        }
        // the same policy cannot be used twice
        HttpResponse<String> again = postForm(policy.get("host").asText(),
                new Multipart().fields(formFields(policy, policy.get("key").asText() + "r2/x.png")).file("x.png", "image/png", bytes));
        assertThat(again.statusCode()).isEqualTo(403);
    }

    @Test
    void keyOutsideThePrefix_oversizeFile_forbiddenType_tamperedPolicy_areRefusedClearly() throws Exception {
        String vid = RelayFixture.newVisitorId();
        JsonNode p1 = policyFor(vid);
        HttpResponse<String> outside = postForm(p1.get("host").asText(), new Multipart()
                .fields(formFields(p1, "kefu/v/shop/" + RelayFixture.newVisitorId() + "/x.png")).file("x.png", "image/png", png(10)));
        assertThat(outside.statusCode()).isEqualTo(403);
        assertThat(FrameCodec.parse(outside.body()).get("message").asText()).contains("prefix");

        JsonNode p2 = policyFor(vid);
        HttpResponse<String> big = postForm(p2.get("host").asText(), new Multipart()
                .fields(formFields(p2, p2.get("key").asText() + "big.png")).file("big.png", "image/png", png(2 * 1024 * 1024)));
        assertThat(big.statusCode()).isEqualTo(413);
        assertThat(FrameCodec.parse(big.body()).get("code").asText()).isEqualTo("too_large");

        JsonNode p3 = policyFor(vid);
        HttpResponse<String> exe = postForm(p3.get("host").asText(), new Multipart()
                .fields(formFields(p3, p3.get("key").asText() + "evil.exe")).file("evil.exe", "application/x-msdownload", png(10)));
        assertThat(exe.statusCode()).isEqualTo(415);

        JsonNode p4 = policyFor(vid);
        Map<String, String> forged = formFields(p4, p4.get("key").asText() + "f.png");
        forged.put("policy", Signing.base64("{\"expiration\":\"2099-01-01T00:00:00Z\",\"conditions\":[[\"starts-with\",\"$key\",\"\"]]}"));
        HttpResponse<String> tampered = postForm(p4.get("host").asText(), new Multipart().fields(forged).file("f.png", "image/png", png(10)));
        assertThat(tampered.statusCode()).isEqualTo(403);
        assertThat(FrameCodec.parse(tampered.body()).get("message").asText()).contains("signature");
    }

    @Test
    void badDownloadSignatures_andTraversal_areRefused() throws Exception {
        String token = relay.token("alice");
        JsonNode creds = FrameCodec.parse(relay.api("POST", "/api/files/credentials", token, null).body());
        String key = creds.get("prefix").asText() + "doc.pdf";
        assertThat(put(creds.get("uploadUrl").asText() + "?key=" + URLEncoder.encode(key, StandardCharsets.UTF_8) + "&token="
                + creds.get("token").asText(), "application/pdf", "%PDF-1.4 test".getBytes(StandardCharsets.UTF_8)).statusCode())
                .isEqualTo(200);
        JsonNode signed = FrameCodec.parse(relay.api("GET", "/api/files/url?key=" + URLEncoder.encode(key, StandardCharsets.UTF_8),
                token, null).body());
        String url = signed.get("url").asText();
        assertThat(get(url).statusCode()).isEqualTo(200);
        assertThat(get(url.replaceAll("sig=[^&]+", "sig=AAAA")).statusCode()).isEqualTo(403);
        assertThat(get(url.replaceAll("exp=\\d+", "exp=1")).statusCode()).isEqualTo(403);
        assertThat(relay.api("GET", "/api/files/url?key=kefu/a/../../etc/passwd", token, null).statusCode()).isEqualTo(400);
        assertThat(get(relay.http("/files/kefu%2F..%2F..%2Fkefu.db?exp=9999999999&sig=x").toString()).statusCode()).isIn(400, 403);
        assertThat(relay.api("POST", "/api/files/credentials", "forged", null).statusCode()).isEqualTo(401);
    }

    @Test
    void visitorCannotSendSomeoneElsesFile() throws Exception {
        try (WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            visitor.next("welcome");
            visitor.send(new Frame.Send("c1", null, "image", null,
                    new Frame.FileRef("kefu/a/agent1/secret.png", "secret.png", 10L, "image/png")));
            JsonNode err = visitor.next("error");
            assertThat(err.get("code").asText()).isEqualTo("not_allowed");
            assertThat(err.get("cid").asText()).isEqualTo("c1");
        }
    }

    @Test
    void agentLimitedToAnotherSite_cannotAttachThisSitesFiles_butAnAgentOfTheSiteCan() throws Exception {
        String vid = RelayFixture.newVisitorId();
        JsonNode policy = policyFor(vid);
        String key = policy.get("key").asText() + "r1/x.png";
        assertThat(postForm(policy.get("host").asText(), new Multipart().fields(formFields(policy, key))
                .file("x.png", "image/png", png(100))).statusCode()).isEqualTo(201);
        Frame.FileRef ref = new Frame.FileRef(key, "x.png", 100L, "image/png");
        try (WsClient carol = relay.agent("carol"); WsClient bob = relay.agent("bob"); WsClient visitor = relay.visitor(vid)) {
            carol.next("welcome");
            bob.next("welcome");
            visitor.next("welcome");
            // carol serves only the "strict" site: give her a conversation there, then try to attach shop's file
            try (WsClient strictVisitor = WsClient.connect(relay.ws("/ws/visitor"), "https://strict.example")) {
                strictVisitor.send(new Frame.Hello("visitor", "strict", null,
                        new Frame.VisitorInfo(RelayFixture.newVisitorId(), null, null, null, null, null), null, null));
                strictVisitor.next("welcome");
                strictVisitor.send(new Frame.Send("s1", null, "text", "hi", null));
                String strictConv = strictVisitor.next("ack").get("conv").asText();
                carol.send(new Frame.Send("k1", strictConv, "image", null, ref));
                assertThat(carol.next("error").get("code").asText()).isEqualTo("not_allowed");
            }
            visitor.send(new Frame.Send("c1", null, "text", "hello", null));
            String conv = visitor.next("ack").get("conv").asText();
            bob.send(new Frame.Send("b1", conv, "image", "is this the one?", ref));
            assertThat(bob.next("ack").get("seq").asLong()).isEqualTo(2);
        }
    }
}

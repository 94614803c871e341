package dev.kefu.agent.upload;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.agent.AgentSession;
import dev.kefu.agent.cache.ChatMessage;
import dev.kefu.agent.cache.MessageState;
import dev.kefu.agent.chat.ConversationListener;
import dev.kefu.agent.login.AgentAccount;
import dev.kefu.agent.net.ConnectionState;
import dev.kefu.agent.net.FilesClient;
import dev.kefu.agent.settings.Preferences;
import dev.kefu.agent.testing.Closer;
import dev.kefu.agent.testing.SessionProbe;
import dev.kefu.agent.testing.Silent;
import dev.kefu.agent.testing.TestRelay;
import dev.kefu.relay.testing.FakeAliyun;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The uploader (the real aliyun-sdk-oss client) against a relay in oss mode and a local STS + OSS
 * stand-in that checks V1 and V4 header signatures, the security token, expiry and the role
 * session's key prefix; a visitor receives each message and downloads the same bytes.
 */
class OssUploadTest {
    static final long MAX = 40L * 1024 * 1024;

    @TempDir
    Path relayDir;
    @TempDir
    Path agentDir;
    @TempDir
    Path files;
    @TempDir
    Path ossTmp;

    FakeAliyun aliyun;
    TestRelay relay;
    @RegisterExtension
    final Closer closer = new Closer();

    @BeforeEach
    void start() throws Exception {
        aliyun = track(FakeAliyun.start(ossTmp));
        relay = track(TestRelay.start(relayDir, 0, c -> c.withFiles(aliyun.relayConfig(MAX))));
    }

    private <T extends AutoCloseable> T track(T c) {
        return closer.track(c);
    }

    private Uploader uploader(AgentAccount account, Uploader.Options options) {
        return new Uploader(new FilesClient(account.server(), account.token()), agentDir.resolve("uploads"), options);
    }

    /** Progress seen per cid: the highest {@code sent} and its {@code total}. */
    static final class Progress implements ConversationListener {
        final Map<String, long[]> seen = new ConcurrentHashMap<>();

        @Override
        public void uploadProgress(String conv, String cid, long sent, long total) {
            seen.merge(cid, new long[] {sent, total}, (a, b) -> b[0] > a[0] ? b : a);
        }
    }

    void screenshotAndThirtyMegabytes_reachTheVisitor(Uploader.Options options, String version) throws Exception {
        AgentAccount alice = relay.login("alice");
        AgentSession session = track(AgentSession.open(alice, agentDir, options, () -> Preferences.DEFAULTS,
                new Silent(), new Silent()));
        SessionProbe probe = SessionProbe.attach(session);
        Progress progress = new Progress();
        session.conversations().addListener(progress);
        session.start();
        probe.awaitState(ConnectionState.ONLINE);
        String vid = TestRelay.newVisitorId();
        WsClient visitor = track(relay.visitor(vid, "Li Lei"));
        String conv = visitor.say("can you see my screen?").path("conv").asText();
        probe.awaitMessage(m -> conv.equals(m.conv()) && m.seq() == 1, "the visitor's message");

        Path png = TestFiles.screenshot(files);
        Path pdf = TestFiles.random(files, "manual.pdf", 30);
        ChatMessage shot = session.conversations().sendFile(conv, png, "screenshot.png", "image/png").get(5, TimeUnit.SECONDS);
        assertThat(shot.state()).isEqualTo(MessageState.PENDING);
        JsonNode imageMsg = visitor.next(f -> "msg".equals(f.path("type").asText()) && "image".equals(f.path("kind").asText()),
                "the screenshot");
        JsonNode file = imageMsg.path("file");
        assertThat(file.path("key").asText()).startsWith("kefu/a/" + alice.agentId() + "/" + shot.cid() + "/");
        assertThat(file.path("name").asText()).isEqualTo("screenshot.png");
        assertThat(file.path("size").asLong()).isEqualTo(Files.size(png));
        assertThat(relay.visitorDownload(vid, file.path("key").asText())).isEqualTo(Files.readAllBytes(png));
        assertThat(aliyun.accepted()).contains(version + " PutObject " + file.path("key").asText());
        assertThat(aliyun.object(file.path("key").asText()).mime()).isEqualTo("image/png");

        ChatMessage big = session.conversations().sendFile(conv, pdf, "manual.pdf", "application/pdf").get(5, TimeUnit.SECONDS);
        JsonNode pdfMsg = visitor.next(f -> "msg".equals(f.path("type").asText()) && "file".equals(f.path("kind").asText()),
                "the 30 MB file");
        String key = pdfMsg.path("file").path("key").asText();
        assertThat(relay.visitorDownload(vid, key)).isEqualTo(Files.readAllBytes(pdf));
        int parts = (int) ((30L * 1024 * 1024 + options.partSize() - 1) / options.partSize());
        assertThat(aliyun.accepted()).contains(version + " InitiateMultipartUpload " + key,
                version + " CompleteMultipartUpload " + key);
        assertThat(aliyun.partRequests(version + " UploadPart " + key)).isEqualTo(parts);
        assertThat(aliyun.refused()).isEmpty();
        assertThat(progress.seen.get(big.cid())).containsExactly(30L * 1024 * 1024, 30L * 1024 * 1024);
        probe.awaitMessage(m -> big.cid().equals(m.cid()) && m.state() == MessageState.SENT && key.equals(m.fileKey()),
                "the file acked with its key");
        // STS was asked once for the agent's uploads (the relay reuses its credentials), once for downloads
        assertThat(aliyun.stsPolicies()).filteredOn(p -> p.contains("PutObject")).singleElement().asString()
                .contains("kefu-test/kefu/a/" + alice.agentId() + "/*");
    }

    @Test
    void screenshotAndThirtyMegabytes_v1Signed_visitorDownloadsSameBytes() throws Exception {
        screenshotAndThirtyMegabytes_reachTheVisitor(Uploader.Options.DEFAULTS.withParts(8L << 20, 4L << 20, 2), "V1");
    }

    @Test
    void screenshotAndThirtyMegabytes_v4Signed_visitorDownloadsSameBytes() throws Exception {
        screenshotAndThirtyMegabytes_reachTheVisitor(Uploader.Options.DEFAULTS.withParts(8L << 20, 4L << 20, 2)
                .withSignatureV4(true), "V4");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"false, 1", "false, 20", "true, 1", "true, 20"})
    void signatureUnderAnotherSecret_isRefused(boolean v4, int megabytes) throws Exception {
        aliyun.verifyWithWrongSecret(true);
        Uploader up = uploader(relay.login("alice"), Uploader.Options.DEFAULTS.withSignatureV4(v4));
        Path pdf = TestFiles.random(files, "doc.pdf", megabytes);
        assertThatThrownBy(() -> up.upload("c-1", pdf, "doc.pdf", "application/pdf", Uploader.Progress.NONE))
                .isInstanceOfSatisfying(UploadException.class, e -> {
                    assertThat(e.reason()).isEqualTo(UploadException.Reason.REFUSED);
                    assertThat(e.getMessage()).contains("SignatureDoesNotMatch");
                });
        assertThat(aliyun.keys()).isEmpty();
    }

    @Test
    void keyOutsideGrantedPrefix_isRefusedByStorage() throws Exception {
        Uploader up = uploader(relay.login("alice"), Uploader.Options.DEFAULTS);
        Path png = TestFiles.screenshot(files);
        assertThatThrownBy(() -> up.upload("c-1", png, "x.png", "image/png", Uploader.Progress.NONE,
                g -> "kefu/a/someone-else/x.png"))
                .isInstanceOfSatisfying(UploadException.class, e -> {
                    assertThat(e.reason()).isEqualTo(UploadException.Reason.REFUSED);
                    assertThat(e.getMessage()).contains("AccessDenied");
                });
        assertThat(aliyun.keys()).isEmpty();
    }

    @Test
    void expiredCredentials_areRefusedByStorage() throws Exception {
        aliyun.lifetimeSec(-60);
        Uploader up = uploader(relay.login("alice"), Uploader.Options.DEFAULTS);
        Path png = TestFiles.screenshot(files);
        assertThatThrownBy(() -> up.upload("c-1", png, "x.png", "image/png", Uploader.Progress.NONE))
                .isInstanceOfSatisfying(UploadException.class, e -> {
                    assertThat(e.reason()).as(e.getMessage()).isEqualTo(UploadException.Reason.EXPIRED);
                    assertThat(e.getMessage()).contains("SecurityTokenExpired");
                });
        assertThat(aliyun.keys()).isEmpty();
    }

    @Test
    void oversizeFile_isRefusedBeforeUploading_withTheLimit() throws Exception {
        Uploader up = uploader(relay.login("alice"), Uploader.Options.DEFAULTS);
        Path huge = TestFiles.sparse(files, "huge.pdf", MAX + 1);
        assertThatThrownBy(() -> up.upload("c-1", huge, "huge.pdf", "application/pdf", Uploader.Progress.NONE))
                .isInstanceOfSatisfying(UploadException.class, e -> {
                    assertThat(e.reason()).isEqualTo(UploadException.Reason.TOO_LARGE);
                    assertThat(e.getMessage()).isEqualTo("huge.pdf is too large: 40.0 MB, the limit is 40.0 MB");
                });
        assertThat(aliyun.accepted()).isEmpty();
    }

    @Test
    void forbiddenType_failsTheMessage_withAClearReason() throws Exception {
        AgentAccount alice = relay.login("alice");
        AgentSession session = track(AgentSession.open(alice, agentDir, () -> Preferences.DEFAULTS, new Silent(), new Silent()));
        SessionProbe probe = SessionProbe.attach(session);
        List<String> refusals = new java.util.concurrent.CopyOnWriteArrayList<>();
        session.conversations().addListener(new ConversationListener() {
            @Override
            public void refused(String conv, String code, String message) {
                refusals.add(code + ": " + message);
            }
        });
        session.start();
        probe.awaitState(ConnectionState.ONLINE);
        WsClient visitor = track(relay.visitor(TestRelay.newVisitorId(), "Li Lei"));
        String conv = visitor.say("send me the installer").path("conv").asText();
        probe.awaitMessage(m -> conv.equals(m.conv()) && m.seq() == 1, "the visitor's message");
        Path exe = TestFiles.random(files, "setup.exe", 1);
        ChatMessage m = session.conversations().sendFile(conv, exe, "setup.exe", Uploader.mimeOf("setup.exe")).get(5, TimeUnit.SECONDS);
        probe.awaitMessage(x -> m.cid().equals(x.cid()) && x.state() == MessageState.FAILED, "the failed file");
        assertThat(refusals).containsExactly("type_not_allowed: setup.exe: files of type application/x-msdownload may not "
                + "be sent (allowed: image/*, application/pdf)");
        probe.awaitOutbox(0);
        assertThat(aliyun.accepted()).isEmpty();
    }

    @Test
    void dropMidMultipart_retryResumes_withoutResendingFinishedParts() throws Exception {
        Uploader up = uploader(relay.login("alice"), Uploader.Options.DEFAULTS.withParts(1L << 20, 2L << 20, 2));
        Path big = TestFiles.random(files, "big.pdf", 30);
        aliyun.dropPartsAfter(6);
        assertThatThrownBy(() -> up.upload("c-resume", big, "big.pdf", "application/pdf", Uploader.Progress.NONE))
                .isInstanceOfSatisfying(UploadException.class, e -> assertThat(e.retryable()).isTrue());
        assertThat(up.checkpointFile("c-resume")).exists();
        int before = aliyun.partsStored();
        assertThat(before).as("parts stored before the drop").isBetween(6, 14);

        aliyun.dropPartsAfter(-1); // the network is back
        UploadedFile done = up.upload("c-resume", big, "big.pdf", "application/pdf", Uploader.Progress.NONE);
        assertThat(aliyun.object(done.key()).bytes()).isEqualTo(Files.readAllBytes(big));
        assertThat(aliyun.partsStored()).as("parts stored over both attempts").isEqualTo(15);
        assertThat(aliyun.accepted().stream().filter(a -> a.startsWith("V1 InitiateMultipartUpload"))).hasSize(1);
        assertThat(up.checkpointFile("c-resume")).doesNotExist();
    }

    @Test
    void appUpload_droppedMidMultipart_isRetriedAndResumed_thenTheVisitorGetsIt() throws Exception {
        AgentAccount alice = relay.login("alice");
        AgentSession session = track(AgentSession.open(alice, agentDir, Uploader.Options.DEFAULTS.withParts(1L << 20, 2L << 20, 2),
                () -> Preferences.DEFAULTS, new Silent(), new Silent()));
        SessionProbe probe = SessionProbe.attach(session);
        session.start();
        probe.awaitState(ConnectionState.ONLINE);
        String vid = TestRelay.newVisitorId();
        WsClient visitor = track(relay.visitor(vid, "Li Lei"));
        String conv = visitor.say("the manual please").path("conv").asText();
        probe.awaitMessage(m -> conv.equals(m.conv()) && m.seq() == 1, "the visitor's message");

        Path pdf = TestFiles.random(files, "manual.pdf", 30);
        aliyun.dropPartsAfter(6);
        session.conversations().sendFile(conv, pdf, "manual.pdf", "application/pdf").get(5, TimeUnit.SECONDS);
        assertThat(aliyun.awaitFirstDrop(Duration.ofSeconds(20))).as("a part's connection was cut").isTrue();
        aliyun.dropPartsAfter(-1); // the network is back before the app's retry

        JsonNode msg = visitor.next(f -> "msg".equals(f.path("type").asText()) && "file".equals(f.path("kind").asText()),
                "the file, after the retry");
        assertThat(relay.visitorDownload(vid, msg.path("file").path("key").asText())).isEqualTo(Files.readAllBytes(pdf));
        assertThat(aliyun.partsStored()).as("parts stored over both attempts").isEqualTo(15);
        assertThat(aliyun.accepted().stream().filter(a -> a.startsWith("V1 InitiateMultipartUpload"))).hasSize(1);
    }
}

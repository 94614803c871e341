package dev.kefu.agent.upload;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.agent.AgentSession;
import dev.kefu.agent.cache.ChatMessage;
import dev.kefu.agent.cache.MessageState;
import dev.kefu.agent.login.AgentAccount;
import dev.kefu.agent.net.ConnectionState;
import dev.kefu.agent.net.FilesClient;
import dev.kefu.agent.settings.Preferences;
import dev.kefu.agent.testing.Closer;
import dev.kefu.agent.testing.SessionProbe;
import dev.kefu.agent.testing.Silent;
import dev.kefu.agent.testing.TestRelay;
import dev.kefu.relay.files.FilesConfig;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The same flows with the relay keeping files itself (local mode: one-time token, PUT to the relay). */
class LocalUploadTest {
    static final long MAX = 40L * 1024 * 1024;

    @TempDir
    Path relayDir;
    @TempDir
    Path agentDir;
    @TempDir
    Path files;

    @RegisterExtension
    final Closer closer = new Closer();

    private <T extends AutoCloseable> T track(T c) {
        return closer.track(c);
    }

    private TestRelay relay(int port) throws Exception {
        return track(TestRelay.start(relayDir, port, c -> c.withFiles(new FilesConfig("local", MAX,
                List.of("image/*", "application/pdf"), null, null, null, "kefu", null, null, null, null, null))));
    }

    private AgentSession session(AgentAccount account) {
        return track(AgentSession.open(account, agentDir, () -> Preferences.DEFAULTS, new Silent(), new Silent()));
    }

    @Test
    void screenshotAndThirtyMegabytes_putToTheRelay_visitorDownloadsSameBytes() throws Exception {
        TestRelay relay = relay(0);
        AgentAccount alice = relay.login("alice");
        AgentSession session = session(alice);
        SessionProbe probe = SessionProbe.attach(session);
        session.start();
        probe.awaitState(ConnectionState.ONLINE);
        String vid = TestRelay.newVisitorId();
        WsClient visitor = track(relay.visitor(vid, "Li Lei"));
        String conv = visitor.say("hello").path("conv").asText();
        probe.awaitMessage(m -> conv.equals(m.conv()) && m.seq() == 1, "the visitor's message");

        Path png = TestFiles.screenshot(files);
        Path pdf = TestFiles.random(files, "manual.pdf", 30);
        session.conversations().sendFile(conv, png, "screenshot.png", "image/png").get(5, TimeUnit.SECONDS);
        JsonNode image = visitor.next(f -> "msg".equals(f.path("type").asText()) && "image".equals(f.path("kind").asText()),
                "the screenshot");
        assertThat(image.path("file").path("key").asText()).startsWith("kefu/a/" + alice.agentId() + "/");
        assertThat(relay.visitorDownload(vid, image.path("file").path("key").asText())).isEqualTo(Files.readAllBytes(png));

        session.conversations().sendFile(conv, pdf, "manual.pdf", "application/pdf").get(5, TimeUnit.SECONDS);
        JsonNode file = visitor.next(f -> "msg".equals(f.path("type").asText()) && "file".equals(f.path("kind").asText()),
                "the 30 MB file");
        assertThat(relay.visitorDownload(vid, file.path("file").path("key").asText())).isEqualTo(Files.readAllBytes(pdf));
        // and the agent's own copy through its signed URL, cached in the data folder
        String key = file.path("file").path("key").asText();
        assertThat(session.files().bytes(key)).isEqualTo(Files.readAllBytes(pdf));
        assertThat(session.files().isCached(key)).isTrue();
    }

    @Test
    void keyOutsideGrantedPrefix_isRefusedByTheRelay() throws Exception {
        TestRelay relay = relay(0);
        AgentAccount alice = relay.login("alice");
        Uploader up = new Uploader(new FilesClient(alice.server(), alice.token()), agentDir.resolve("uploads"));
        Path png = TestFiles.screenshot(files);
        assertThatThrownBy(() -> up.upload("c-1", png, "x.png", "image/png", Uploader.Progress.NONE,
                g -> "kefu/a/someone-else/x.png"))
                .isInstanceOfSatisfying(UploadException.class, e -> {
                    assertThat(e.reason()).isEqualTo(UploadException.Reason.REFUSED);
                    assertThat(e.getMessage()).contains("prefix").contains("not_allowed");
                });
    }

    @Test
    void oversizeAndForbiddenType_areRefusedBeforeUploading() throws Exception {
        TestRelay relay = relay(0);
        AgentAccount alice = relay.login("alice");
        Uploader up = new Uploader(new FilesClient(alice.server(), alice.token()), agentDir.resolve("uploads"));
        Path huge = TestFiles.sparse(files, "huge.pdf", MAX + 1);
        assertThatThrownBy(() -> up.upload("c-1", huge, "huge.pdf", "application/pdf", Uploader.Progress.NONE))
                .isInstanceOfSatisfying(UploadException.class, e ->
                        assertThat(e.reason()).isEqualTo(UploadException.Reason.TOO_LARGE));
        Path exe = TestFiles.random(files, "setup.exe", 1);
        assertThatThrownBy(() -> up.upload("c-2", exe, "setup.exe", Uploader.mimeOf("setup.exe"), Uploader.Progress.NONE))
                .isInstanceOfSatisfying(UploadException.class, e -> {
                    assertThat(e.reason()).isEqualTo(UploadException.Reason.TYPE_NOT_ALLOWED);
                    assertThat(e.getMessage()).contains("application/x-msdownload may not be sent");
                });
    }

    @Test
    void fileSentWhileOffline_waitsInOutbox_thenUploadsAndSendsWithSameCid() throws Exception {
        TestRelay relay = relay(0);
        int port = relay.port();
        AgentAccount alice = relay.login("alice");
        AgentSession session = session(alice);
        SessionProbe probe = SessionProbe.attach(session);
        session.start();
        probe.awaitState(ConnectionState.ONLINE);
        String vid = TestRelay.newVisitorId();
        String conv;
        try (WsClient visitor = relay.visitor(vid, "Li Lei")) {
            conv = visitor.say("here?").path("conv").asText();
            probe.awaitMessage(m -> conv.equals(m.conv()) && m.seq() == 1, "the visitor's message");
        }
        relay.close();
        probe.awaitDisconnected();

        Path png = TestFiles.screenshot(files);
        ChatMessage pending = session.conversations().sendFile(conv, png, "offline.png", "image/png").get(5, TimeUnit.SECONDS);
        assertThat(pending.state()).isEqualTo(MessageState.PENDING);
        assertThat(session.conversations().outboxSize().get(5, TimeUnit.SECONDS)).isEqualTo(1);

        TestRelay back = relay(port);
        probe.awaitState(ConnectionState.ONLINE);
        probe.awaitOutbox(0);
        ChatMessage sent = probe.awaitMessage(m -> pending.cid().equals(m.cid()) && m.state() == MessageState.SENT,
                "the file acked");
        assertThat(sent.seq()).isEqualTo(2);
        try (WsClient visitor = back.visitor(vid, "Li Lei")) {
            List<JsonNode> history = visitor.history(conv);
            assertThat(history).hasSize(2);
            JsonNode m = history.get(1);
            assertThat(m.path("cid").asText()).isEqualTo(pending.cid());
            assertThat(m.path("kind").asText()).isEqualTo("image");
            assertThat(back.visitorDownload(vid, m.path("file").path("key").asText())).isEqualTo(Files.readAllBytes(png));
        }
    }
}

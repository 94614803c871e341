package dev.kefu.relay.transport;

import dev.kefu.relay.testing.RelayFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** permessage-deflate: what a browser offers is declined unless {@code serve --ws-deflate} is on. */
class WsDeflateTest {
    @TempDir
    Path data;

    @Test
    void browsersOfferOfDeflate_isDeclinedByDefault() throws Exception {
        try (RelayFixture relay = RelayFixture.start(data)) {
            List<String> headers = upgradeOfferingDeflate(relay.http("/").getPort());
            assertThat(headers.get(0)).contains("101");
            assertThat(headers).noneMatch(h -> h.toLowerCase().startsWith("sec-websocket-extensions"));
        }
    }

    @Test
    void withWsDeflate_theOfferIsAccepted() throws Exception {
        try (RelayFixture relay = RelayFixture.start(data, c -> c.withWsDeflate(true))) {
            List<String> headers = upgradeOfferingDeflate(relay.http("/").getPort());
            assertThat(headers.get(0)).contains("101");
            assertThat(headers).anyMatch(h -> h.toLowerCase().startsWith("sec-websocket-extensions")
                    && h.contains("permessage-deflate"));
        }
    }

    /** The upgrade Chromium sends, on a raw socket; the response's status line and headers. */
    private static List<String> upgradeOfferingDeflate(int port) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            String key = Base64.getEncoder().encodeToString("kefu-deflate-key".getBytes(StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            out.write(("GET /ws/visitor HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n"
                    + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            List<String> lines = new ArrayList<>();
            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                lines.add(line);
            }
            return lines;
        }
    }
}

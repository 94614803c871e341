package dev.kefu.relay.transport;

import dev.kefu.protocol.Frame;
import dev.kefu.relay.testing.RelayFixture;
import dev.kefu.relay.testing.RelayTest;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

class HttpEndpointsTest extends RelayTest {

    @Test
    void widgetAndDemoPage_areServedFromTheWidgetModule() throws Exception {
        HttpResponse<String> js = relay.get("/widget.js");
        assertThat(js.statusCode()).isEqualTo(200);
        assertThat(js.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/javascript"));
        assertThat(js.body()).contains("Kefu");
        HttpResponse<String> demo = relay.get("/demo");
        assertThat(demo.statusCode()).isEqualTo(200);
        assertThat(demo.body()).contains("/widget.js");
    }

    @Test
    void widgetJs_isTheMinifiedBuild_andItsSourceIsServedForDebugging() throws Exception {
        HttpResponse<String> served = relay.get("/widget.js");
        HttpResponse<String> source = relay.get("/src/widget.js");

        assertThat(source.statusCode()).isEqualTo(200);
        assertThat(source.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/javascript"));
        assertThat(source.body()).startsWith("/*! Kefu visitor widget ").contains("(function (window, document) {");
        assertThat(served.body()).startsWith("/*! Kefu visitor widget ").doesNotContain("(function (window, document) {");
        assertThat(served.body().length()).isLessThan(source.body().length() * 2 / 3);
    }

    @Test
    void health_isUp_andMetricsCountStoredMessages() throws Exception {
        HttpResponse<String> health = relay.get("/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"up\"");

        try (WsClient visitor = relay.visitor(RelayFixture.newVisitorId())) {
            visitor.next("welcome");
            for (int i = 0; i < 3; i++) {
                visitor.send(new Frame.Send("c" + i, null, "text", "m", null));
            }
            visitor.collect("ack", 3);
            String metrics = relay.get("/metrics").body();
            assertThat(metrics).contains("kefu_messages_stored_total 3.0");
            assertThat(metrics).contains("kefu_store_commit_seconds_count");
            assertThat(metrics).contains("kefu_connections 1.0");
            assertThat(metrics).contains("jvm_memory_used_bytes");
        }
    }

    @Test
    void unknownPath_is404_andGetOnPostEndpointIs405() throws Exception {
        assertThat(relay.get("/nope").statusCode()).isEqualTo(404);
        assertThat(relay.get("/api/login").statusCode()).isEqualTo(405);
    }
}

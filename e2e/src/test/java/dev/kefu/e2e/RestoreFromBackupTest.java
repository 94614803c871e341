package dev.kefu.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.e2e.harness.ShopPage;
import dev.kefu.e2e.harness.StoreBackup;
import dev.kefu.e2e.harness.TestRelay;
import dev.kefu.e2e.harness.WidgetPage;
import dev.kefu.e2e.harness.WidgetPage.Bubble;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The operator restores the relay's store from a backup while a visitor's page stays open: the
 * store goes back in time and hands out again seqs the widget holds (docs/protocol.md, "After a
 * restore from backup (epoch)"). The widget learns it from the new epoch in the welcome.
 */
class RestoreFromBackupTest extends BrowserTest {
    private static final String BEFORE_1 = "备份前 1 before the backup";
    private static final String BEFORE_2 = "备份前 2 收到";
    private static final String TYPED_WHILE_DOWN = "停机时 typed while the relay was down";
    private static final String AFTER_RESTORE = "恢复后 after the restore";

    @TempDir
    Path backups;

    @ParameterizedTest(name = "over {0}")
    @ValueSource(strings = {"ws", "lp"})
    void restoreFromBackup_widgetShowsNewMessagesUnderSeqsItHeld_andSendsWhatWasTypedMeanwhileOnce(String transport) throws Exception {
        TestRelay relay = closeAfter(TestRelay.startOnFixedPort(data));
        WidgetPage widget = browser.open(site.publish("/", ShopPage.embedding(relay.baseUrl())
                .with("transport", transport))).awaitConnected();
        String conv;
        try (WsClient agent = relay.agent()) {
            widget.type(BEFORE_1);
            conv = agent.nextVisitorMessage().get("conv").asText();
            agent.reply(conv, BEFORE_2);
            widget.awaitMessages(2, "seqs 1-2 shown", Bubble::acked);
        }

        relay.stop();
        StoreBackup backup = StoreBackup.take(data, backups);
        relay.restart();

        // Seqs 3-5: in the widget's storage, not in the backup.
        try (WsClient agent = relay.agent(Map.of(conv, 2L))) {
            agent.reply(conv, "备份后 3 lost with the restore");
            widget.awaitMessages(3, "seq 3 shown", Bubble::acked);
            widget.type("备份后 4 lost with the restore");
            agent.nextVisitorMessage();
            agent.reply(conv, "备份后 5 lost with the restore");
            widget.awaitMessages(5, "seqs 1-5 shown", Bubble::acked);
        }

        relay.stop();
        widget.awaitDisconnected();
        widget.type(TYPED_WHILE_DOWN);
        widget.awaitMessages(6, "the message typed while down pending", b -> true);
        String epoch = backup.restoreInto(data);
        relay.restart(); // same port: the page is not reloaded, the widget reconnects by itself

        try (WsClient agent = relay.agent(Map.of(conv, 2L))) {
            JsonNode typed = agent.nextVisitorMessage();
            assertThat(typed.get("body").asText()).isEqualTo(TYPED_WHILE_DOWN);
            assertThat(typed.get("seq").asLong()).as("a seq the widget held before the restore").isEqualTo(3);
            agent.reply(conv, AFTER_RESTORE); // seq 4, held by the widget before the restore too

            widget.awaitMessages(4, "the restored history, the message typed while down and the new reply", Bubble::acked);
            assertThat(widget.messages()).extracting(Bubble::from, Bubble::text).containsExactly(
                    tuple("visitor", BEFORE_1),
                    tuple("agent", BEFORE_2),
                    tuple("visitor", TYPED_WHILE_DOWN),
                    tuple("agent", AFTER_RESTORE));
            assertThat(agent.history(conv)).extracting(m -> m.get("body").asText())
                    .containsExactly(BEFORE_1, BEFORE_2, TYPED_WHILE_DOWN, AFTER_RESTORE);
            assertThat(agent.received()).as("visitor messages the agent got")
                    .filteredOn(f -> "msg".equals(f.path("type").asText()) && "visitor".equals(f.path("from").path("role").asText()))
                    .extracting(f -> f.get("body").asText()).containsExactly(TYPED_WHILE_DOWN);
        }
        assertThat(widget.js("return localStorage.getItem('kefu:' + arguments[0] + ':epoch')", TestRelay.SITE))
                .as("the epoch the widget keeps").isEqualTo("\"" + epoch + "\"");
        assertThat(widget.transport()).isEqualTo(transport);
    }
}

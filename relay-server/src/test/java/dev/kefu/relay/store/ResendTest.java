package dev.kefu.relay.store;

import dev.kefu.protocol.ErrorCode;
import dev.kefu.protocol.MessageKind;
import dev.kefu.protocol.Role;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A resend (same sender, same cid) is answered with the message stored the first time, on every path
 * an append can take: the unique (sender, cid) index catches it inside a batch without spoiling the
 * batch's other writes, and it wins over the refusals a fresh message would get.
 */
class ResendTest {
    static final String SITE = "shop";
    final Sender visitor = new Sender(Role.VISITOR, "v1", "访客", SITE);
    final Sender other = new Sender(Role.VISITOR, "v2", "访客 2", SITE);
    final Sender agent = new Sender(Role.AGENT, "alice", "Alice", null);

    @TempDir
    Path dir;
    SqliteDatabase db;
    SqliteMessageStore store;

    @BeforeEach
    void open() {
        db = SqliteDatabase.open(dir);
        store = new SqliteMessageStore(db, 1000, 10_000, new SimpleMeterRegistry());
    }

    @AfterEach
    void close() {
        store.close();
    }

    AppendResult send(Sender from, String conv, String cid, String body) throws Exception {
        return store.append(new NewMessage(from, conv, cid, MessageKind.TEXT, body, null), c -> true)
                .get(10, TimeUnit.SECONDS);
    }

    @Test
    void resendsInsideOneBatch_areAnsweredWithTheFirst_andTheBatchsOtherWritesStay() throws Exception {
        String conv = send(visitor, null, "open", "你好").message().conv();
        String otherConv = send(other, null, "open", "hi").message().conv();

        // Queued back to back, these land in one transaction: the resends fail their insert, the rest must not.
        List<CompletableFuture<AppendResult>> batch = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            batch.add(store.append(new NewMessage(visitor, conv, "m" + (i % 5), MessageKind.TEXT, "body 😀 " + i, null),
                    c -> true));
            batch.add(store.append(new NewMessage(other, otherConv, "o" + i, MessageKind.TEXT, "other " + i, null),
                    c -> true));
        }
        List<AppendResult> results = new ArrayList<>();
        for (CompletableFuture<AppendResult> f : batch) {
            results.add(f.get(10, TimeUnit.SECONDS));
        }

        List<StoredMessage> mine = store.messagesAfter(conv, 0, 100);
        assertThat(mine).extracting(StoredMessage::cid).containsExactly("open", "m0", "m1", "m2", "m3", "m4");
        assertThat(mine).extracting(StoredMessage::seq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        assertThat(mine.get(1).body()).isEqualTo("body 😀 0");
        assertThat(store.messagesAfter(otherConv, 0, 100)).hasSize(21);

        for (int i = 0; i < 20; i++) {
            AppendResult r = results.get(2 * i);
            assertThat(r.isRefused()).isFalse();
            assertThat(r.duplicate()).as("send %d", i).isEqualTo(i >= 5);
            assertThat(r.message().seq()).isEqualTo(2 + i % 5);
            assertThat(r.message().body()).isEqualTo("body 😀 " + (i % 5));
            assertThat(results.get(2 * i + 1).duplicate()).isFalse();
        }
        assertThat(store.conversation(conv).orElseThrow().lastSeq()).isEqualTo(6);

        AppendResult next = send(visitor, conv, "m5", "after the resends");
        assertThat(next.message().seq()).as("the resends took no seq").isEqualTo(7);
    }

    @Test
    void aResendToAClosedConversation_isTheFirstAck_notARefusal() throws Exception {
        AppendResult first = send(visitor, null, "c1", "hello");
        String conv = first.message().conv();
        store.close(conv, c -> true).get(10, TimeUnit.SECONDS);

        AppendResult again = send(visitor, conv, "c1", "hello");
        assertThat(again.isRefused()).isFalse();
        assertThat(again.duplicate()).isTrue();
        assertThat(again.message().seq()).isEqualTo(first.message().seq());

        AppendResult fresh = send(visitor, conv, "c2", "too late");
        assertThat(fresh.refusal()).isEqualTo(ErrorCode.CONV_CLOSED);
    }

    @Test
    void aResendWithoutItsConversation_doesNotOpenAnother() throws Exception {
        AppendResult first = send(visitor, null, "c1", "hello");
        store.close(first.message().conv(), c -> true).get(10, TimeUnit.SECONDS);

        // The widget resends its first message without a conversation: it must not open a second one.
        AppendResult again = send(visitor, null, "c1", "hello");
        assertThat(again.duplicate()).isTrue();
        assertThat(again.message().conv()).isEqualTo(first.message().conv());
        assertThat(store.visitorConversations(SITE, "v1")).hasSize(1);
    }

    @Test
    void anAgentsResend_toAConversationItTookWithThatMessage_isTheFirstAck() throws Exception {
        String conv = send(visitor, null, "c1", "hello").message().conv();
        AppendResult reply = send(agent, conv, "a1", "how can I help?");
        assertThat(reply.conversationChanged()).as("the reply assigned the conversation").isTrue();

        AppendResult again = send(agent, conv, "a1", "how can I help?");
        assertThat(again.duplicate()).isTrue();
        assertThat(again.message().seq()).isEqualTo(reply.message().seq());
        assertThat(store.messagesAfter(conv, 0, 100)).hasSize(2);
    }
}

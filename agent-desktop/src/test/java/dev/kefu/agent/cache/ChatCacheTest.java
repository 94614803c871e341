package dev.kefu.agent.cache;

import dev.kefu.protocol.ConvStatus;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.MessageKind;
import dev.kefu.protocol.Role;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ChatCacheTest {
    private static final String ME = "a-me";
    private static final Frame.Party AGENT = new Frame.Party(Role.AGENT, ME, "Me");
    private static final Frame.Party VISITOR = new Frame.Party(Role.VISITOR, "v-1234567890abcdef", "Li Lei");

    @TempDir
    Path dir;
    private ChatCache cache;

    @BeforeEach
    void open() {
        cache = ChatCache.open(dir.resolve("cache.db"));
        cache.upsertConversation(new Frame.ConvInfo("c1", "shop", ConvStatus.WAITING, VISITOR.id(), null, null, null, 0, 1000));
    }

    @AfterEach
    void close() {
        cache.close();
    }

    private static Frame.Msg msg(long seq, Frame.Party from, String cid, String body) {
        return new Frame.Msg("c1", seq, cid, from, MessageKind.TEXT, body, null, 1000 + seq);
    }

    @Test
    void heldSeq_withAGap_staysBelowTheGapUntilItIsFilled() {
        cache.storeMessage(msg(1, VISITOR, "v1", "a"), ME);
        cache.storeMessage(msg(3, VISITOR, "v3", "c"), ME);
        assertThat(cache.resumePositions()).containsEntry("c1", 1L);

        cache.storeMessage(msg(2, VISITOR, "v2", "b"), ME);
        assertThat(cache.resumePositions()).containsEntry("c1", 3L);
    }

    @Test
    void storeMessage_sameSeqTwice_keepsOne() {
        assertThat(cache.storeMessage(msg(1, VISITOR, "v1", "hello"), ME)).isPresent();
        assertThat(cache.storeMessage(msg(1, VISITOR, "v1", "hello"), ME)).isEmpty();
        assertThat(cache.latestMessages("c1", 10)).hasSize(1);
        assertThat(cache.conversation("c1").orElseThrow().unread()).isEqualTo(1);
    }

    @Test
    void pendingMessage_ackedThenEchoed_isOneStoredMessageAndLeavesTheOutbox() {
        ChatMessage pending = cache.addPending("c1", "cid-1", AGENT, "on my way", "{\"type\":\"send\"}");
        assertThat(pending.state()).isEqualTo(MessageState.PENDING);
        assertThat(cache.outbox()).extracting(OutboxEntry::cid).containsExactly("cid-1");

        ChatMessage acked = cache.confirm("cid-1", "c1", 1, 5000).orElseThrow();
        assertThat(acked.localId()).isEqualTo(pending.localId());
        assertThat(acked.seq()).isEqualTo(1);
        assertThat(acked.state()).isEqualTo(MessageState.SENT);
        assertThat(cache.storeMessage(msg(1, AGENT, "cid-1", "on my way"), ME)).isEmpty();

        assertThat(cache.outboxSize()).isZero();
        assertThat(cache.latestMessages("c1", 10)).hasSize(1);
    }

    @Test
    void pendingMessage_echoedBeforeItsAck_isConfirmedByTheEcho() {
        ChatMessage pending = cache.addPending("c1", "cid-2", AGENT, "hi", "{}");
        ChatMessage echoed = cache.storeMessage(msg(1, AGENT, "cid-2", "hi"), ME).orElseThrow();

        assertThat(echoed.localId()).isEqualTo(pending.localId());
        assertThat(cache.confirm("cid-2", "c1", 1, 1)).isEmpty();
        assertThat(cache.outboxSize()).isZero();
        assertThat(cache.latestMessages("c1", 10)).extracting(ChatMessage::state).containsExactly(MessageState.SENT);
    }

    @Test
    void fail_marksTheMessageFailedAndEmptiesItsOutboxRow() {
        cache.addPending("c1", "cid-3", AGENT, "late", "{}");
        ChatMessage failed = cache.fail("cid-3", "conv_closed").orElseThrow();

        assertThat(failed.state()).isEqualTo(MessageState.FAILED);
        assertThat(failed.error()).isEqualTo("conv_closed");
        assertThat(cache.outboxSize()).isZero();
    }

    @Test
    void visitorReadReceipt_turnsTheAgentsMessagesRead() {
        cache.storeMessage(msg(1, VISITOR, "v1", "q"), ME);
        cache.storeMessage(msg(2, AGENT, "a2", "answer"), ME);
        cache.storeMessage(msg(3, AGENT, "a3", "more"), ME);

        assertThat(cache.markReadByVisitor("c1", 2)).extracting(ChatMessage::seq).containsExactly(2L);
        assertThat(cache.latestMessages("c1", 10)).extracting(ChatMessage::state)
                .containsExactly(MessageState.SENT, MessageState.READ, MessageState.SENT);
    }

    @Test
    void markRead_countsOnlyVisitorMessagesAboveIt() {
        cache.storeMessage(msg(1, VISITOR, "v1", "a"), ME);
        cache.storeMessage(msg(2, VISITOR, "v2", "b"), ME);
        cache.storeMessage(msg(3, VISITOR, "v3", "c"), ME);

        assertThat(cache.markRead("c1", 2).unread()).isEqualTo(1);
    }

    @Test
    void closeAllExcept_closesLiveConversationsTheRelayNoLongerLists() {
        cache.upsertConversation(new Frame.ConvInfo("c2", "shop", ConvStatus.OPEN, "v-2", null, ME, "Me", 0, 2000));

        cache.closeAllExcept(java.util.Set.of("c2"));

        assertThat(cache.conversation("c1").orElseThrow().status()).isEqualTo(ConvStatus.CLOSED);
        assertThat(cache.resumePositions()).isEqualTo(Map.of("c2", 0L));
    }

    @Test
    void upsertConversation_withoutNames_keepsTheKnownOnes() {
        cache.upsertConversation(new Frame.ConvInfo("c1", "shop", ConvStatus.OPEN, VISITOR.id(), "Li Lei", ME, "Me", 4, 1000));
        Conversation c = cache.upsertConversation(new Frame.ConvInfo("c1", null, ConvStatus.OPEN, null, null, ME, null, 2, 0));

        assertThat(c.visitorName()).isEqualTo("Li Lei");
        assertThat(c.agentName()).isEqualTo("Me");
        assertThat(c.lastSeq()).isEqualTo(4);
        assertThat(c.createdAt()).isEqualTo(1000);
    }

    @Test
    void search_findsCachedTextWithLikeWildcardsEscaped() {
        cache.storeMessage(msg(1, VISITOR, "v1", "我的订单 100% 没到"), ME);
        cache.storeMessage(msg(2, VISITOR, "v2", "order_42 please"), ME);

        assertThat(cache.search("订单", 10)).extracting(SearchHit::seq).containsExactly(1L);
        assertThat(cache.search("100%", 10)).hasSize(1);
        assertThat(cache.search("_4", 10)).extracting(SearchHit::seq).containsExactly(2L);
        assertThat(cache.search("ORDER", 10)).hasSize(1);
    }

    @Test
    void reopening_theFile_keepsEverything() {
        cache.storeMessage(msg(1, VISITOR, "v1", "a"), ME);
        cache.addPending("c1", "cid-9", AGENT, "queued", "{\"type\":\"send\"}");
        cache.close();

        cache = ChatCache.open(dir.resolve("cache.db"));
        assertThat(cache.latestMessages("c1", 10)).extracting(ChatMessage::body).containsExactly("a", "queued");
        assertThat(cache.outbox()).extracting(OutboxEntry::frameJson).containsExactly("{\"type\":\"send\"}");
    }

    @Test
    void listedConversation_neverHeld_isAddedAsHistory_itsMessagesNotUnread() {
        Frame.ConvInfo earlier = new Frame.ConvInfo("c0", "shop", ConvStatus.CLOSED, VISITOR.id(), "Li Lei", "a-bob", "Bob", 2, 500);
        assertThat(cache.takeListedConversation(earlier)).isTrue();
        assertThat(cache.takeListedConversation(earlier)).as("listed again").isFalse();
        cache.storeMessage(new Frame.Msg("c0", 1, "v1", VISITOR, MessageKind.TEXT, "late parcel", null, 600), ME);
        Conversation c = cache.conversation("c0").orElseThrow();
        assertThat(c.unread()).isZero();
        assertThat(c.agentName()).isEqualTo("Bob");
        assertThat(cache.conversationsOfVisitor(VISITOR.id())).extracting(Conversation::id).containsExactly("c1", "c0");
        assertThat(cache.resumePositions()).doesNotContainKey("c0");
    }

    @Test
    void listedConversation_held_takesOnlyAClose_soAnOlderListUndoesNothing() {
        Frame.ConvInfo staleOpen = new Frame.ConvInfo("c1", "shop", ConvStatus.OPEN, VISITOR.id(), null, "a-bob", "Bob", 0, 1000);
        assertThat(cache.takeListedConversation(staleOpen)).isFalse();
        assertThat(cache.conversation("c1").orElseThrow().isWaiting()).isTrue();

        Frame.ConvInfo closed = new Frame.ConvInfo("c1", "shop", ConvStatus.CLOSED, VISITOR.id(), null, "a-bob", "Bob", 3, 1000);
        assertThat(cache.takeListedConversation(closed)).isTrue();
        assertThat(cache.conversation("c1").orElseThrow().isLive()).isFalse();
        assertThat(cache.highestSeq("c1")).isZero();
    }
}

package dev.kefu.agent.cache;

import dev.kefu.protocol.ConvStatus;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.MessageKind;
import dev.kefu.protocol.Role;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/** The cache's rules for internal notes, recalls and ratings. */
class NotesRecallsRatingsCacheTest {
    private static final String ME = "a-me";
    private static final Frame.Party AGENT = new Frame.Party(Role.AGENT, ME, "Me");
    private static final Frame.Party OTHER = new Frame.Party(Role.AGENT, "a-other", "Bob");
    private static final Frame.Party VISITOR = new Frame.Party(Role.VISITOR, "v-1234567890abcdef", "Li Lei");

    @TempDir
    Path dir;
    private ChatCache cache;

    @BeforeEach
    void open() {
        cache = ChatCache.open(dir.resolve("cache.db"));
        cache.upsertConversation(new Frame.ConvInfo("c1", "shop", ConvStatus.OPEN, VISITOR.id(), null, ME, "Me", 0, 1000));
    }

    @AfterEach
    void close() {
        cache.close();
    }

    private static Frame.Msg msg(long seq, Frame.Party from, String body) {
        return new Frame.Msg("c1", seq, "m" + seq, from, MessageKind.TEXT, body, null, 1000 + seq);
    }

    private static Frame.Note note(long nseq, Frame.Party from, String cid, String body, long afterSeq) {
        return new Frame.Note("c1", nseq, cid, from, body, afterSeq, 5000 + nseq);
    }

    private static String noteFrame(String cid, String body) {
        return FrameCodec.encode(new Frame.Send(cid, "c1", MessageKind.NOTE, body, null));
    }

    @Test
    void ownNote_pendingThenAckedThenEchoed_isOneNoteAndLeavesTheOutbox() {
        cache.storeMessage(msg(1, VISITOR, "hi"), ME);
        ChatMessage pending = cache.addPendingNote("c1", "n-1", AGENT, "VIP customer", noteFrame("n-1", "VIP customer"));
        assertThat(pending.isNote()).isTrue();
        assertThat(pending.state()).isEqualTo(MessageState.PENDING);
        assertThat(pending.afterSeq()).isEqualTo(1);
        assertThat(cache.outbox()).extracting(OutboxEntry::cid).containsExactly("n-1");

        assertThat(cache.confirmNote("n-1", "c1", 1, 6000)).get().satisfies(n -> {
            assertThat(n.nseq()).isEqualTo(1);
            assertThat(n.state()).isEqualTo(MessageState.SENT);
        });
        assertThat(cache.storeNote(note(1, AGENT, "n-1", "VIP customer", 1), ME)).isEmpty();
        assertThat(cache.confirmNote("n-1", "c1", 1, 6000)).isEmpty();

        assertThat(cache.outboxSize()).isZero();
        assertThat(cache.notes("c1")).extracting(ChatMessage::nseq, ChatMessage::body)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1L, "VIP customer"));
    }

    @Test
    void ownNote_echoBeforeAck_confirmsThePendingNote() {
        cache.addPendingNote("c1", "n-1", AGENT, "call back at 5", noteFrame("n-1", "call back at 5"));
        assertThat(cache.storeNote(note(1, AGENT, "n-1", "call back at 5", 0), ME)).isPresent();
        assertThat(cache.confirmNote("n-1", "c1", 1, 6000)).isEmpty();
        assertThat(cache.notes("c1")).hasSize(1).allMatch(n -> n.state() == MessageState.SENT);
        assertThat(cache.outboxSize()).isZero();
    }

    @Test
    void notes_replayedAfterEveryHello_areKeptOnce_andShownAmongTheMessages() {
        for (long s = 1; s <= 4; s++) {
            cache.storeMessage(msg(s, s % 2 == 1 ? VISITOR : AGENT, "m" + s), ME);
        }
        assertThat(cache.storeNote(note(1, OTHER, "o-1", "asked for refund", 2), ME)).isPresent();
        assertThat(cache.storeNote(note(1, OTHER, "o-1", "asked for refund", 2), ME)).isEmpty();
        cache.storeNote(note(2, OTHER, "o-2", "before anything", 0), ME);

        assertThat(cache.latestMessages("c1", 2)).extracting(m -> m.isNote() ? "note" + m.nseq() : "msg" + m.seq())
                .containsExactly("msg3", "msg4"); // notes after seq 0 and 2 belong to an older page
        assertThat(cache.messagesBefore("c1", 3, 10)).extracting(m -> m.isNote() ? "note" + m.nseq() : "msg" + m.seq())
                .containsExactlyInAnyOrder("msg1", "msg2", "note1", "note2");
        assertThat(cache.latestMessages("c1", 10)).filteredOn(ChatMessage::isNote).hasSize(2);
        assertThat(cache.conversation("c1").orElseThrow().lastBody()).isEqualTo("m4"); // notes are no preview
    }

    @Test
    void recall_forAnAgentWhoIsNotAdmin_forgetsTheText_andSurvivesReopening() {
        cache.storeMessage(msg(1, VISITOR, "hi"), ME);
        cache.storeMessage(msg(2, AGENT, "the price is 99"), ME);

        assertThat(cache.markRecalled("c1", 2, 9000, false)).get().satisfies(m -> {
            assertThat(m.recalled()).isTrue();
            assertThat(m.body()).isNull();
        });
        assertThat(cache.markRecalled("c1", 2, 9000, false)).isEmpty();
        assertThat(cache.conversation("c1").orElseThrow().lastBody()).isEqualTo(Conversation.RECALLED_PREVIEW);
        assertThat(cache.search("price", 10)).isEmpty();

        cache.close();
        cache = ChatCache.open(dir.resolve("cache.db"));
        assertThat(cache.latestMessages("c1", 10)).extracting(ChatMessage::seq, ChatMessage::recalled)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1L, false), org.assertj.core.groups.Tuple.tuple(2L, true));
    }

    @Test
    void recall_forAnAdmin_keepsTheOriginal() {
        cache.storeMessage(msg(1, AGENT, "oops"), ME);
        assertThat(cache.markRecalled("c1", 1, 9000, true)).get()
                .satisfies(m -> assertThat(m.body()).isEqualTo("oops"))
                .satisfies(m -> assertThat(m.recalled()).isTrue());
    }

    @Test
    void replayedMessage_markedRecalled_isStoredAsRecalled() {
        Frame.Msg recalled = new Frame.Msg("c1", 1, "m1", AGENT, MessageKind.TEXT, null, null, 1001, true);
        assertThat(cache.storeMessage(recalled, ME)).get().satisfies(m -> assertThat(m.recalled()).isTrue());
    }

    @Test
    void rating_isKept_andLaterFramesWithoutOneDoNotEraseIt() {
        cache.upsertConversation(new Frame.ConvInfo("c1", "shop", ConvStatus.CLOSED, VISITOR.id(), null, ME, "Me", 3, 1000,
                null, 4, "快，谢谢"));
        cache.upsertConversation(new Frame.ConvInfo("c1", "shop", ConvStatus.CLOSED, VISITOR.id(), null, ME, "Me", 3, 1000));
        Conversation c = cache.conversation("c1").orElseThrow();
        assertThat(c.rating()).isEqualTo(4);
        assertThat(c.ratingComment()).isEqualTo("快，谢谢");
    }

    @Test
    void cacheFromTheVersionBeforeNotes_keepsItsOutbox() throws Exception {
        Path old = dir.resolve("v2.db");
        try (Connection c = SqliteFile.open(old, ChatCache.MIGRATIONS.subList(0, 2)); Statement st = c.createStatement()) {
            st.execute("INSERT INTO messages(id, conv, seq, cid, from_role, from_id, kind, body, ts, state) "
                    + "VALUES (7, 'c1', NULL, 'c-7', 'agent', 'a-me', 'text', 'queued before the upgrade', 1, 'pending')");
            st.execute("INSERT INTO outbox(cid, message_id, frame, created_at) VALUES ('c-7', 7, '{}', 1)");
        }
        try (ChatCache upgraded = ChatCache.open(old)) {
            assertThat(upgraded.outbox()).extracting(OutboxEntry::cid).containsExactly("c-7");
            upgraded.confirm("c-7", "c1", 1, 2);
            assertThat(upgraded.outboxSize()).isZero();
            assertThat(upgraded.latestMessages("c1", 10)).extracting(ChatMessage::body).containsExactly("queued before the upgrade");
        }
    }
}

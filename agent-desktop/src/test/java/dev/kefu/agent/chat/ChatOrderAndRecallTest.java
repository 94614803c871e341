package dev.kefu.agent.chat;

import dev.kefu.agent.cache.ChatMessage;
import dev.kefu.agent.cache.MessageState;
import dev.kefu.protocol.MessageKind;
import dev.kefu.protocol.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Where notes sit among messages, and when "Recall" is offered; no JavaFX needed. */
class ChatOrderAndRecallTest {
    private static final String ME = "a-me";

    private static ChatMessage message(long localId, long seq, String fromId, long ts) {
        String role = fromId.startsWith("v-") ? Role.VISITOR : Role.AGENT;
        return new ChatMessage(localId, "c1", seq, "c" + localId, role, fromId, null, MessageKind.TEXT, "m", null, ts,
                seq > 0 ? MessageState.SENT : MessageState.PENDING, null);
    }

    private static ChatMessage note(long localId, long nseq, long afterSeq, long ts) {
        return new ChatMessage(localId, "c1", 0, "n" + localId, Role.AGENT, ME, "Me", MessageKind.NOTE, "n", null, ts,
                nseq > 0 ? MessageState.SENT : MessageState.PENDING, null, null, null, 0, false, nseq, afterSeq);
    }

    private static String label(ChatMessage m) {
        if (m.isNote()) {
            return m.nseq() > 0 ? "note" + m.nseq() : "pendingNote" + m.localId();
        }
        return m.seq() > 0 ? "msg" + m.seq() : "pendingMsg" + m.localId();
    }

    @Test
    void order_notesFollowTheirMessage_pendingOnesComeLastInTheOrderWritten() {
        List<ChatMessage> all = new ArrayList<>(List.of(
                note(1, 2, 1, 50), message(10, 2, "v-1", 20), note(2, 1, 1, 40), message(11, 1, "v-1", 10),
                note(3, 3, 0, 5), message(12, 0, ME, 100), note(4, 0, 2, 101), message(13, 0, ME, 102)));
        all.sort(ChatViewModel.ORDER);
        assertThat(all).extracting(ChatOrderAndRecallTest::label).containsExactly(
                "note3", "msg1", "note1", "note2", "msg2", "pendingMsg12", "pendingNote4", "pendingMsg13");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "own message sent 10 s ago,                   a-me, 1, 10,  false, text, 120, true",
            "own message sent 119 s ago,                  a-me, 1, 119, false, text, 120, true",
            "own message sent 121 s ago,                  a-me, 1, 121, false, text, 120, false",
            "own message sent 4 s ago; a 5 s window,      a-me, 1, 4,   false, text, 5,   true",
            "own message sent 6 s ago; a 5 s window,      a-me, 1, 6,   false, text, 5,   false",
            "own message sent 121 s ago; a 10 min window, a-me, 1, 121, false, text, 600, true",
            "another agent's message,                     a-other, 1, 10, false, text, 120, false",
            "a visitor's message,                         v-visitor, 1, 10, false, text, 120, false",
            "own message still pending,                   a-me, 0, 10,  false, text, 120, false",
            "own message already recalled,                a-me, 1, 10,  true,  text, 120, false",
            "own note,                                    a-me, 0, 10,  false, note, 120, false",
    })
    void canRecall(String what, String fromId, long seq, long ageSec, boolean recalled, String kind, long windowSec,
                   boolean expected) {
        long now = 1_000_000_000L;
        String role = fromId.startsWith("v-") ? Role.VISITOR : Role.AGENT;
        ChatMessage m = new ChatMessage(1, "c1", seq, "c1", role, fromId, null, kind, "x", null, now - ageSec * 1000,
                MessageState.SENT, null, null, null, 0, recalled, "note".equals(kind) ? 1 : 0, 0);
        assertThat(ChatViewModel.canRecall(m, ME, now, windowSec * 1000)).as(what).isEqualTo(expected);
    }
}

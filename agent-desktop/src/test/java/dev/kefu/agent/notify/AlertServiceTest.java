package dev.kefu.agent.notify;

import dev.kefu.agent.cache.ChatMessage;
import dev.kefu.agent.cache.ContactDetails;
import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.cache.MessageState;
import dev.kefu.agent.settings.Language;
import dev.kefu.agent.settings.Preferences;
import dev.kefu.protocol.ConvStatus;
import dev.kefu.protocol.Role;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AlertServiceTest {
    private long now = 1_000_000;
    private Preferences prefs = new Preferences(Language.EN, true, true, 30);
    private int plays;
    private final List<Alert> shown = new ArrayList<>();
    private int badge;
    private final AlertService alerts = new AlertService(() -> prefs, () -> plays++, new AlertSink() {
        @Override
        public void show(Alert alert) {
            shown.add(alert);
        }

        @Override
        public void badge(int count) {
            badge = count;
        }
    }, () -> now);

    private static Conversation conv(String id, String status, int unread) {
        return new Conversation(id, "shop", status, "v-" + id, "Visitor " + id, null, null, 1, 1_000_000, 1, 0, 0, unread,
                "hi", Role.VISITOR, 1_000_000);
    }

    private ChatMessage fromVisitor(String conv, long seq) {
        return new ChatMessage(seq, conv, seq, "c" + seq, Role.VISITOR, "v-" + conv, "V", "text", "hello " + seq, null,
                now, MessageState.SENT, null);
    }

    @Test
    void newWaitingVisitor_soundsAndNotifiesOnce() {
        alerts.conversationChanged(conv("c1", ConvStatus.WAITING, 1), null);
        alerts.messagesChanged("c1", List.of(fromVisitor("c1", 1)), true);

        assertThat(shown).extracting(Alert::kind).containsExactly(Alert.Kind.NEW_VISITOR);
        assertThat(plays).isEqualTo(1);
        assertThat(badge).isEqualTo(2); // one waiting + one unread
    }

    @Test
    void historyReplaced_forgetsWhatWasCounted_andTheReplayCountsAgain() {
        alerts.conversationChanged(conv("c1", ConvStatus.WAITING, 3), null);
        alerts.conversationChanged(conv("c2", ConvStatus.OPEN, 2), null);
        assertThat(badge).isEqualTo(6);

        alerts.historyReplaced(); // the relay's store was restored: c1 is gone, c2 comes again
        assertThat(badge).isZero();
        alerts.conversationChanged(conv("c2", ConvStatus.OPEN, 1), null);
        now += 60_000;
        alerts.tick();

        assertThat(badge).isEqualTo(1);
        assertThat(shown).extracting(Alert::kind).as("no re-alert for a visitor the relay no longer has")
                .containsExactly(Alert.Kind.NEW_VISITOR);
    }

    @Test
    void leftMessage_alertsOnceAsLeft_countsInTheBadge_andIsNotRealerted() {
        alerts.conversationChanged(conv("c1", ConvStatus.OFFLINE, 1), null);
        alerts.messagesChanged("c1", List.of(fromVisitor("c1", 1)), true);
        alerts.conversationChanged(conv("c1", ConvStatus.OFFLINE, 2), conv("c1", ConvStatus.OFFLINE, 1));
        now += 120_000;
        alerts.tick();

        assertThat(shown).extracting(Alert::kind, Alert::visitor)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Alert.Kind.LEFT_MESSAGE, "Visitor c1"));
        assertThat(badge).isEqualTo(3); // one left message nobody has + two unread
    }

    @Test
    void leftMessageAnswered_leavesTheBadge() {
        alerts.conversationChanged(conv("c1", ConvStatus.OFFLINE, 0), null);
        assertThat(badge).isEqualTo(1);
        alerts.conversationChanged(conv("c1", ConvStatus.OPEN, 0), conv("c1", ConvStatus.OFFLINE, 0));

        assertThat(badge).isZero();
    }

    @Test
    void visitorStillWaiting_realertsEveryPeriod() {
        alerts.conversationChanged(conv("c1", ConvStatus.WAITING, 0), null);
        now += 29_000;
        alerts.tick();
        now += 1_000;
        alerts.tick();
        now += 30_000;
        alerts.tick();

        assertThat(shown).extracting(Alert::kind)
                .containsExactly(Alert.Kind.NEW_VISITOR, Alert.Kind.STILL_WAITING, Alert.Kind.STILL_WAITING);
    }

    @Test
    void acceptedConversation_stopsRealerting() {
        alerts.conversationChanged(conv("c1", ConvStatus.WAITING, 0), null);
        alerts.conversationChanged(conv("c1", ConvStatus.OPEN, 0), conv("c1", ConvStatus.WAITING, 0));
        now += 120_000;
        alerts.tick();

        assertThat(shown).extracting(Alert::kind).containsExactly(Alert.Kind.NEW_VISITOR);
    }

    @Test
    void messageInTheConversationInFront_doesNotAlert_butOneBehindDoes() {
        alerts.conversationChanged(conv("c1", ConvStatus.OPEN, 0), null);
        alerts.conversationChanged(conv("c2", ConvStatus.OPEN, 0), null);
        alerts.setFront("c1", true);

        alerts.messagesChanged("c1", List.of(fromVisitor("c1", 2)), true);
        alerts.messagesChanged("c2", List.of(fromVisitor("c2", 2)), true);

        assertThat(shown).extracting(Alert::kind, Alert::conv)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Alert.Kind.MESSAGE, "c2"));
        assertThat(plays).isEqualTo(1);
    }

    @Test
    void messageInTheConversationInFront_alertsWhenTheWindowIsNotFocused() {
        alerts.conversationChanged(conv("c1", ConvStatus.OPEN, 0), null);
        alerts.setFront("c1", false);

        alerts.messagesChanged("c1", List.of(fromVisitor("c1", 2)), true);

        assertThat(shown).extracting(Alert::kind).containsExactly(Alert.Kind.MESSAGE);
    }

    @Test
    void flood_isCappedAndSummarised() {
        for (int i = 0; i < 10; i++) {
            alerts.conversationChanged(conv("c" + i, ConvStatus.WAITING, 0), null);
        }
        assertThat(shown).hasSize(AlertService.POPUPS_PER_WINDOW);
        assertThat(plays).isEqualTo(1);

        now += AlertService.WINDOW_MS;
        alerts.tick();
        assertThat(shown.get(shown.size() - 1)).isEqualTo(new Alert(Alert.Kind.SUMMARY, null, null, null, 0, 7));
    }

    @Test
    void preferencesOff_noSoundNoPopup_butTheBadgeCounts() {
        prefs = new Preferences(Language.EN, false, false, 0);
        alerts.conversationChanged(conv("c1", ConvStatus.WAITING, 3), null);
        now += 600_000;
        alerts.tick();

        assertThat(plays).isZero();
        assertThat(shown).isEmpty();
        assertThat(badge).isEqualTo(4);
        assertThat(alerts.recent()).extracting(Alert::kind).containsExactly(Alert.Kind.NEW_VISITOR);
    }

    @Test
    void oldReplayedMessages_doNotAlert() {
        alerts.conversationChanged(conv("c1", ConvStatus.OPEN, 0), null);
        ChatMessage old = new ChatMessage(1, "c1", 1, "c", Role.VISITOR, "v", "V", "text", "yesterday", null,
                now - 3_600_000, MessageState.SENT, null);

        alerts.messagesChanged("c1", List.of(old), true);

        assertThat(shown).isEmpty();
    }

    @Test
    void contactLeftInAnOpenConversationBehind_alertsOnceWithTheDetails() {
        Conversation open = conv("c1", ConvStatus.OPEN, 0);
        ContactDetails contact = new ContactDetails("李雷", null, "+86 138 0013 8000", "call me 😊");
        alerts.conversationChanged(open, null);
        alerts.conversationChanged(open.withContact(contact), open);
        alerts.conversationChanged(open.withContact(contact), open.withContact(contact)); // another change of it

        assertThat(shown).extracting(Alert::kind, Alert::conv, Alert::text)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Alert.Kind.CONTACT, "c1", "李雷 · +86 138 0013 8000"));
    }

    @Test
    void contactInTheConversationInFront_doesNotAlert() {
        Conversation open = conv("c1", ConvStatus.OPEN, 0);
        alerts.conversationChanged(open, null);
        alerts.setFront("c1", true);
        alerts.conversationChanged(open.withContact(new ContactDetails(null, "li@example.com", null, null)), open);

        assertThat(shown).isEmpty();
    }

    @Test
    void contactRightAfterItsLeftMessage_isOneAlert_aLaterNewerOneAlertsAgain() {
        Conversation left = conv("c1", ConvStatus.OFFLINE, 1);
        Conversation withContact = left.withContact(new ContactDetails("Li Lei", null, "138", "hello"));
        alerts.conversationChanged(left, null);
        alerts.conversationChanged(withContact, left);
        now += 60_000;
        alerts.conversationChanged(left.withContact(new ContactDetails("Li Lei", null, "139", "hello")), withContact);

        assertThat(shown).extracting(Alert::kind).containsExactly(Alert.Kind.LEFT_MESSAGE, Alert.Kind.CONTACT);
    }
}

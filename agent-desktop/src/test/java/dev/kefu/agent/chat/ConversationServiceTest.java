package dev.kefu.agent.chat;

import dev.kefu.agent.cache.ChatCache;
import dev.kefu.agent.cache.ChatMessage;
import dev.kefu.agent.cache.KnownAgent;
import dev.kefu.agent.cache.MessageState;
import dev.kefu.agent.net.FrameSender;
import dev.kefu.protocol.ConvStatus;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.MessageKind;
import dev.kefu.protocol.Role;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The conversation service on the calling thread (same-thread executor) with a recording sender. */
class ConversationServiceTest {
    private static final Frame.Party ME = new Frame.Party(Role.AGENT, "a-me", "Me");
    private static final Frame.Party VISITOR = new Frame.Party(Role.VISITOR, "v-1234567890abcdef", "Li Lei");

    @TempDir
    Path dir;
    private ChatCache cache;
    private final RecordingSender relay = new RecordingSender();
    private final List<String> events = new ArrayList<>();
    private ConversationService service;

    @BeforeEach
    void setUp() {
        cache = ChatCache.open(dir.resolve("c.db"));
        AtomicInteger cids = new AtomicInteger();
        service = new ConversationService(cache, relay, Runnable::run, ME, () -> "cid-" + cids.incrementAndGet());
        service.addListener(new ConversationListener() {
            @Override
            public void conversationChanged(dev.kefu.agent.cache.Conversation now, dev.kefu.agent.cache.Conversation before) {
                events.add("conv " + now.id() + " " + now.status());
            }

            @Override
            public void messagesChanged(String conv, List<ChatMessage> messages, boolean live) {
                messages.forEach(m -> events.add("msg " + m.seq() + " " + m.state()));
            }

            @Override
            public void draftChanged(String conv, String draft) {
                events.add("draft '" + draft + "'");
            }

            @Override
            public void refused(String conv, String code, String message) {
                events.add("refused " + code);
            }

            @Override
            public void historyReplaced() {
                events.add("history replaced");
            }
        });
    }

    @AfterEach
    void tearDown() {
        cache.close();
    }

    /** A welcome as older relays send it: no recall window, no cid echo. */
    private static Frame.Welcome welcome(Frame.ConvInfo... live) {
        return new Frame.Welcome("s1", ME, List.of(live), 25, 0);
    }

    /** A welcome of a relay that echoes the cid of a recall and has a recall window of {@code windowMs}. */
    private static Frame.Welcome echoingWelcome(long windowMs, Frame.ConvInfo... live) {
        return new Frame.Welcome("s1", ME, List.of(live), 25, 0, windowMs, true);
    }

    private static Frame.ConvInfo open(String id) {
        return new Frame.ConvInfo(id, "shop", ConvStatus.OPEN, VISITOR.id(), "Li Lei", ME.id(), "Me", 0, 1);
    }

    /** A welcome of a relay whose store has epoch {@code epoch}. */
    private static Frame.Welcome welcome(String epoch, Frame.ConvInfo... live) {
        return new Frame.Welcome("s1", ME, List.of(live), 25, 0, null, true, epoch);
    }

    @Test
    void welcome_underAnotherEpoch_forgetsTheHistory_keepsTheOutbox_andTheNextHelloNamesTheNewEpoch() {
        service.onFrames(List.of(welcome("e1", open("c1"), open("c2")), visitorSays("c1", 1), visitorSays("c1", 2),
                visitorSays("c2", 1), new Frame.Note("c1", 1, "n1", ME, "VIP", 2, 5),
                new Frame.Read("c1", 2L, VISITOR)));
        service.markRead("c1");
        relay.online = false;
        service.send("c1", "queued").join();
        assertThat(service.hello("t").epoch()).isEqualTo("e1");
        assertThat(service.hello("t").resume()).isEqualTo(Map.of("c1", 2L, "c2", 1L));
        relay.online = true;
        events.clear();
        relay.sent.clear();

        service.onFrames(List.of(welcome("e2", open("c1")), visitorSays("c1", 1)));

        assertThat(events.get(0)).isEqualTo("history replaced");
        assertThat(events).containsSubsequence("conv c1 open", "msg 1 SENT");
        assertThat(relay.sent).containsExactly(new Frame.Send("cid-1", "c1", MessageKind.TEXT, "queued", null));
        assertThat(service.conversations().join()).extracting(c -> c.id()).containsExactly("c1");
        dev.kefu.agent.cache.Conversation c1 = service.conversation("c1").join().orElseThrow();
        assertThat(List.of(c1.lastSeq(), c1.heldSeq(), c1.myReadSeq(), c1.peerReadSeq(), (long) c1.unread()))
                .containsExactly(1L, 1L, 0L, 0L, 1L);
        assertThat(service.latest("c1").join()).extracting(ChatMessage::seq, ChatMessage::body, ChatMessage::state)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1L, "m1", MessageState.SENT),
                        org.assertj.core.groups.Tuple.tuple(0L, "queued", MessageState.PENDING));
        assertThat(service.outboxSize().join()).isEqualTo(1);
        assertThat(service.hello("t").epoch()).isEqualTo("e2");
        assertThat(service.hello("t").resume()).isEqualTo(Map.of("c1", 1L));
    }

    @Test
    void welcome_withAnEpoch_toACacheThatKeptNone_keepsTheCacheAndTheEpoch() {
        service.onFrames(List.of(welcome(open("c1")), visitorSays("c1", 1)));
        assertThat(service.hello("t").epoch()).as("an older relay sent none").isNull();
        events.clear();

        service.onFrames(List.of(welcome("e1", open("c1"))));
        service.onFrames(List.of(welcome(open("c1")))); // an older relay again: the kept epoch stays

        assertThat(events).doesNotContain("history replaced");
        assertThat(service.latest("c1").join()).extracting(ChatMessage::body).containsExactly("m1");
        assertThat(service.hello("t").epoch()).isEqualTo("e1");
        assertThat(service.hello("t").resume()).isEqualTo(Map.of("c1", 1L));
    }

    @Test
    void welcome_underTheSameEpoch_keepsTheCache() {
        service.onFrames(List.of(welcome("e1", open("c1")), visitorSays("c1", 1)));
        events.clear();

        service.onFrames(List.of(welcome("e1", open("c1")), visitorSays("c1", 1)));

        assertThat(events).doesNotContain("history replaced", "msg 1 SENT");
        assertThat(service.hello("t").resume()).isEqualTo(Map.of("c1", 1L));
    }

    @Test
    void send_offline_isPendingAndQueued_thenResentAfterWelcome() {
        service.onFrames(List.of(welcome(open("c1"))));
        relay.online = false;

        ChatMessage pending = service.send("c1", "hello").join();

        assertThat(pending.state()).isEqualTo(MessageState.PENDING);
        assertThat(relay.sent).isEmpty();
        relay.online = true;
        service.onFrames(List.of(welcome(open("c1"))));
        assertThat(relay.sent).containsExactly(new Frame.Send("cid-1", "c1", MessageKind.TEXT, "hello", null));
    }

    @Test
    void ack_confirmsThePendingMessage() {
        service.onFrames(List.of(welcome(open("c1"))));
        service.send("c1", "hello").join();

        service.onFrames(List.of(new Frame.Ack("cid-1", "c1", 1, 99)));

        assertThat(events).containsSubsequence("msg 0 PENDING", "msg 1 SENT");
        assertThat(service.outboxSize().join()).isZero();
    }

    @Test
    void refusal_convClosed_marksFailedAndIsNotRetried() {
        service.onFrames(List.of(welcome(open("c1"))));
        service.send("c1", "too late").join();

        service.onFrames(List.of(new Frame.Error("conv_closed", "closed", "cid-1")));
        relay.sent.clear();
        service.onFrames(List.of(welcome(open("c1"))));

        assertThat(events).contains("msg 0 FAILED", "refused conv_closed");
        assertThat(relay.sent).isEmpty();
    }

    @Test
    void welcome_closesCachedConversationsNoLongerLive() {
        service.onFrames(List.of(welcome(open("c1"), open("c2"))));
        events.clear();

        service.onFrames(List.of(welcome(open("c2"))));

        assertThat(events).containsExactly("conv c1 closed");
        assertThat(service.hello("t").resume()).isEqualTo(Map.of("c2", 0L));
    }

    @Test
    void visitorTyping_isADraftClearedByTheMessage() {
        service.onFrames(List.of(welcome(open("c1"))));
        service.onFrames(List.of(new Frame.Typing("c1", "where is", VISITOR),
                new Frame.Msg("c1", 1, "v1", VISITOR, MessageKind.TEXT, "where is my order?", null, 5)));

        assertThat(events).contains("msg 1 SENT").containsSubsequence("draft 'where is'", "draft ''");
    }

    @Test
    void olderPage_missingFromTheCache_isAskedOfTheRelay() {
        service.onFrames(List.of(welcome(open("c1")),
                new Frame.Msg("c1", 60, "v60", VISITOR, MessageKind.TEXT, "late", null, 5)));

        OlderPage cached = service.older("c1", 60).join();

        assertThat(cached.messages()).isEmpty();
        assertThat(cached.relay()).isEqualTo(OlderPage.Relay.ASKED);
        assertThat(relay.sent).containsExactly(new Frame.Sync("c1", 60L, null, ConversationService.PAGE));
    }

    private static Frame.Msg visitorSays(String conv, long seq) {
        return new Frame.Msg(conv, seq, "v" + seq, VISITOR, MessageKind.TEXT, "m" + seq, null, seq);
    }

    @Test
    void olderPage_aboveAGapInTheCache_stopsAtTheGap_andAsksTheRelayForTheGapOnly() {
        List<Frame.Msg> held = new ArrayList<>();
        for (long seq : new long[] {1, 2, 3, 4, 5, 20, 21, 22}) {
            held.add(visitorSays("c1", seq));
        }
        service.onFrames(List.of(new Frame.Msgs("c1", held, false, null)));
        relay.sent.clear();

        assertThat(service.latest("c1").join()).as("the newest part, up to the gap").extracting(ChatMessage::seq)
                .containsExactly(20L, 21L, 22L);
        OlderPage above = service.older("c1", 21).join();
        assertThat(above.messages()).extracting(ChatMessage::seq).containsExactly(20L);
        assertThat(above.relay()).isEqualTo(OlderPage.Relay.ASKED);
        assertThat(relay.sent).containsExactly(new Frame.Sync("c1", 20L, null, 14));

        relay.online = false;
        service.onFrames(List.of(new Frame.Msgs("c1", List.of(), true, null))); // the answer ends the request
        OlderPage offline = service.older("c1", 20).join();
        assertThat(offline.messages()).isEmpty();
        assertThat(offline.relay()).isEqualTo(OlderPage.Relay.UNREACHABLE);

        relay.online = true;
        List<Frame.Msg> gap = new ArrayList<>();
        for (long seq = 6; seq < 20; seq++) {
            gap.add(visitorSays("c1", seq));
        }
        service.onFrames(List.of(new Frame.Msgs("c1", gap, true, null)));
        OlderPage filled = service.older("c1", 20).join();
        assertThat(filled.messages()).extracting(ChatMessage::seq).containsExactlyElementsOf(
                java.util.stream.LongStream.range(1, 20).boxed().toList());
        assertThat(filled.relay()).isEqualTo(OlderPage.Relay.NOT_NEEDED);
    }

    @Test
    void note_offline_isQueued_resentAfterWelcome_andConfirmedByItsNoteAck() {
        service.onFrames(List.of(welcome(open("c1"))));
        relay.online = false;

        ChatMessage pending = service.sendNote("c1", "VIP").join();
        assertThat(pending.isNote()).isTrue();
        assertThat(service.outboxSize().join()).isEqualTo(1);

        relay.online = true;
        service.onFrames(List.of(welcome(open("c1"))));
        assertThat(relay.sent).containsExactly(new Frame.Send("cid-1", "c1", MessageKind.NOTE, "VIP", null));
        service.onFrames(List.of(new Frame.Ack("cid-1", "c1", 1, 99, true)));

        assertThat(service.outboxSize().join()).isZero();
        assertThat(service.latest("c1").join()).singleElement()
                .satisfies(n -> assertThat(n.nseq()).isEqualTo(1))
                .satisfies(n -> assertThat(n.seq()).as("a note takes no message seq").isZero());
        assertThat(service.hello("t").resume()).isEqualTo(Map.of("c1", 0L));
    }

    @Test
    void recallRefusal_withoutCid_isTakenAsTheAnswerToThePendingRecall_otherErrorsStayGeneric() {
        service.onFrames(List.of(welcome(open("c1"))));
        assertThat(service.recall("c1", 2).join()).isTrue();
        assertThat(relay.sent).contains(new Frame.Recall("c1", 2L, "cid-1"));

        service.onFrames(List.of(new Frame.Error("not_allowed", "a message can be recalled within 120 s of sending", null)));
        service.onFrames(List.of(new Frame.Error("not_allowed", "another agent has it", null)));

        assertThat(events).containsSubsequence("refused recall_not_allowed", "refused not_allowed");
    }

    @Test
    void recallRefusal_namingACid_answersThatRecall_evenWhenAnOlderOneIsPending() {
        service.onFrames(List.of(echoingWelcome(120_000L, open("c1"), open("c2"))));
        List<String> refusals = new ArrayList<>();
        service.addListener(new ConversationListener() {
            @Override
            public void refused(String conv, String code, String message) {
                refusals.add(conv + " " + code);
            }
        });
        service.recall("c1", 1).join();
        service.recall("c2", 7).join();
        assertThat(relay.sent).contains(new Frame.Recall("c1", 1L, "cid-1"), new Frame.Recall("c2", 7L, "cid-2"));

        service.onFrames(List.of(new Frame.Error("bad_frame", "no message 7 in c2", "cid-2")));
        service.onFrames(List.of(new Frame.Error("not_allowed", "only its sender may recall a message", "cid-1")));

        assertThat(refusals).containsExactly("c2 recall_bad_frame", "c1 recall_not_allowed");
    }

    @Test
    void cidlessError_fromARelayThatEchoesCids_isNotTakenForARecallsAnswer() {
        service.onFrames(List.of(echoingWelcome(120_000L, open("c1"))));
        service.recall("c1", 2).join();

        service.onFrames(List.of(new Frame.Error("not_allowed", "another agent has it", null)));
        service.onFrames(List.of(new Frame.Error("not_allowed", "a message can be recalled within 120 s of sending", "cid-1")));

        assertThat(events).containsSubsequence("refused not_allowed", "refused recall_not_allowed");
        assertThat(events).filteredOn(e -> e.startsWith("refused")).hasSize(2);
    }

    @Test
    void recalledFrame_withTheRecallsCid_endsIt_soALaterCidlessErrorStaysGeneric() {
        service.onFrames(List.of(welcome(open("c1")), new Frame.Msg("c1", 1, "m1", ME, MessageKind.TEXT, "oops", null, 5)));
        service.recall("c1", 1).join();

        service.onFrames(List.of(new Frame.Recalled("c1", 1, ME, 9, "cid-1")));
        service.onFrames(List.of(new Frame.Error("not_allowed", "another agent has it", null)));

        assertThat(events).contains("refused not_allowed").doesNotContain("refused recall_not_allowed");
    }

    @Test
    void recallWindow_isTheWelcomes_andTwoMinutesWhenTheWelcomeDoesNotSay() {
        assertThat(service.recallWindowMs()).isEqualTo(ConversationService.RECALL_WINDOW_MS);

        service.onFrames(List.of(echoingWelcome(5_000L, open("c1"))));
        assertThat(service.recallWindowMs()).isEqualTo(5_000L);

        service.onFrames(List.of(welcome(open("c1"))));
        assertThat(service.recallWindowMs()).isEqualTo(120_000L);
    }

    @Test
    void recalledFrame_endsThePendingRecall_andMarksTheMessageWithoutAnAlert() {
        service.onFrames(List.of(welcome(open("c1")),
                new Frame.Msg("c1", 1, "m1", ME, MessageKind.TEXT, "oops", null, 5)));
        service.recall("c1", 1).join();
        List<Boolean> live = new ArrayList<>();
        service.addListener(new ConversationListener() {
            @Override
            public void messagesChanged(String conv, List<ChatMessage> messages, boolean isLive) {
                live.add(isLive);
            }
        });

        service.onFrames(List.of(new Frame.Recalled("c1", 1, ME, 9)));
        service.onFrames(List.of(new Frame.Error("not_allowed", "another agent has it", null)));

        assertThat(live).containsExactly(false);
        assertThat(service.latest("c1").join()).singleElement().satisfies(m -> {
            assertThat(m.recalled()).isTrue();
            assertThat(m.body()).isNull();
        });
        assertThat(events).contains("refused not_allowed").doesNotContain("refused recall_not_allowed");
    }

    @Test
    void accept_offline_reportsFalseAndQueuesNothing() {
        relay.online = false;
        assertThat(service.accept("c1").join()).isFalse();
        assertThat(service.outboxSize().join()).isZero();
    }

    /** Frames "sent" while online are recorded; offline ones are refused, like the real connection. */
    static final class RecordingSender implements FrameSender {
        final List<Frame> sent = new ArrayList<>();
        boolean online = true;

        @Override
        public boolean send(Frame frame) {
            if (online) {
                sent.add(frame);
            }
            return online;
        }

        @Override
        public boolean isOnline() {
            return online;
        }
    }

    @Test
    void agentsFrame_replacesAgentsMetSoFar_inTheTransferList_onlineFirst() throws Exception {
        cache.rememberAgent("a-old", "Met Once");
        assertThat(service.knownAgents().get()).extracting(KnownAgent::id).containsExactly("a-old");
        service.onFrames(List.of(new Frame.AgentList(List.of(
                new Frame.AgentInfo("a-zoe", "Zoe", "offline", 0, 5),
                new Frame.AgentInfo(ME.id(), "Me", "online", 1, 5),
                new Frame.AgentInfo("a-bob", "Bob", "online", 2, 5),
                new Frame.AgentInfo("a-amy", "Amy", "away", 0, 3)))));
        assertThat(service.knownAgents().get()).extracting(KnownAgent::id, KnownAgent::name).containsExactly(
                org.assertj.core.groups.Tuple.tuple("a-bob", "Bob · online 2/5"),
                org.assertj.core.groups.Tuple.tuple("a-amy", "Amy · away 0/3"),
                org.assertj.core.groups.Tuple.tuple("a-zoe", "Zoe · offline 0/5"));
    }

    @Test
    void quickRepliesFrame_isKeptForTheComposer() {
        assertThat(service.relayQuickReplies()).isEmpty();
        service.onFrames(List.of(new Frame.QuickReplies(List.of(
                new Frame.QuickReply("q1", "shop", true, "hi", "您好，请问有什么可以帮您？", null)))));
        assertThat(service.relayQuickReplies()).extracting(Frame.QuickReply::text).containsExactly("您好，请问有什么可以帮您？");
    }

    /** Answers the closed-conversation catch-up from a script: a page, null (older relay) or a failure. */
    private static final class ScriptedChanges implements dev.kefu.agent.net.ClosedChanges {
        final List<Long> asked = new ArrayList<>();
        static final Object NO_ENDPOINT = new Object();
        final java.util.ArrayDeque<Object> answers = new java.util.ArrayDeque<>();

        @Override
        public Page since(long changedSince, int limit) throws java.io.IOException {
            asked.add(changedSince);
            Object a = answers.poll();
            if (a instanceof java.io.IOException e) {
                throw e;
            }
            return a == NO_ENDPOINT ? null : (Page) a;
        }
    }

    private static Frame.ConvInfo closedAndRated(String id, Integer rating, String comment) {
        return new Frame.ConvInfo(id, "shop", ConvStatus.CLOSED, VISITOR.id(), "Li Lei", ME.id(), "Me", 2, 1, null,
                rating, comment);
    }

    @Test
    void welcomeAfterBeingAway_asksForClosesAndRatingsSinceLastHeard_andAppliesThemToHeldConversationsOnly() {
        ScriptedChanges changes = new ScriptedChanges();
        List<Runnable> http = new ArrayList<>();
        service.useClosedChanges(changes, http::add);
        service.onFrames(List.of(welcome(open("c1"))));
        assertThat(http).as("first welcome on an empty cache: nothing to catch up").isEmpty();
        long before = System.currentTimeMillis();
        service.onFrames(List.of(new Frame.ConvUpdate(closedAndRated("c1", null, null), null)));

        changes.answers.add(new dev.kefu.agent.net.ClosedChanges.Page(
                List.of(closedAndRated("c1", 5, "great"), closedAndRated("c-never-seen", 3, null)), before, false));
        service.onFrames(List.of(welcome()));
        http.forEach(Runnable::run);

        assertThat(changes.asked).hasSize(1);
        assertThat(changes.asked.get(0)).isBetween(before - 61_000, before - 59_000);
        var c1 = cache.conversation("c1").orElseThrow();
        assertThat(c1.rating()).isEqualTo(5);
        assertThat(c1.ratingComment()).isEqualTo("great");
        assertThat(cache.conversation("c-never-seen")).isEmpty();
        assertThat(events).contains("conv c1 closed");
    }

    @Test
    void closedCatchUp_cutShort_isAskedAgainFromTheSamePoint_afterTheNextWelcome() {
        ScriptedChanges changes = new ScriptedChanges();
        List<Runnable> http = new ArrayList<>();
        service.useClosedChanges(changes, http::add);
        service.onFrames(List.of(welcome(open("c1"))));
        service.onFrames(List.of(welcome(open("c1"))));
        changes.answers.add(new java.io.IOException("connection reset"));
        http.forEach(Runnable::run);
        http.clear();
        long firstAsked = changes.asked.get(0);
        assertThat(cache.meta(ConversationService.CLOSED_CHANGES_META)).contains(String.valueOf(firstAsked));

        service.onFrames(List.of(welcome(open("c1"))));
        changes.answers.add(new dev.kefu.agent.net.ClosedChanges.Page(List.of(), firstAsked, false));
        http.forEach(Runnable::run);
        http.clear();
        assertThat(changes.asked).hasSize(2);
        assertThat(changes.asked.get(1)).isEqualTo(firstAsked);
        assertThat(cache.meta(ConversationService.CLOSED_CHANGES_META)).as("caught up: no position kept").contains("");
    }

    @Test
    void closedCatchUp_withAnOlderRelay_endsQuietly() {
        ScriptedChanges changes = new ScriptedChanges();
        List<Runnable> http = new ArrayList<>();
        service.useClosedChanges(changes, http::add);
        service.onFrames(List.of(welcome(open("c1"))));
        service.onFrames(List.of(welcome(open("c1"))));
        changes.answers.add(ScriptedChanges.NO_ENDPOINT); // 404: the relay has no such endpoint
        http.forEach(Runnable::run);
        assertThat(changes.asked).hasSize(1);
        assertThat(cache.meta(ConversationService.CLOSED_CHANGES_META)).contains("");
        assertThat(events).noneMatch(e -> e.startsWith("refused"));
    }

    private static Frame.ConvInfo closedBy(String id, String agent, long lastSeq) {
        return new Frame.ConvInfo(id, "shop", ConvStatus.CLOSED, VISITOR.id(), "Li Lei", agent, agent, lastSeq, 0);
    }

    @Test
    void requestMissing_asksOnlyForAClosedConversationLackingItsNewestMessages_onceUntilAnswered() {
        service.onFrames(List.of(welcome(open("c-live"))));
        cache.takeListedConversation(closedBy("c-old", "a-bob", 3));
        relay.sent.clear();

        assertThat(service.requestMissing("c-live").join()).as("live: the replay fills it").isTrue();
        assertThat(service.requestMissing("c-old").join()).isTrue();
        assertThat(service.requestMissing("c-old").join()).as("asked already").isTrue();
        assertThat(relay.sent).containsExactly(new Frame.Sync("c-old", null, null, ConversationService.PAGE));

        service.onFrames(List.of(new Frame.Msgs("c-old", List.of(
                new Frame.Msg("c-old", 3, "x3", VISITOR, MessageKind.TEXT, "thanks", null, 30)), false, null)));
        assertThat(service.requestMissing("c-old").join()).as("the newest is held now").isTrue();
        assertThat(relay.sent).hasSize(1);
    }

    @Test
    void requestMissing_offline_saysSo_andAsksOnceOnlineAgain() {
        cache.takeListedConversation(closedBy("c-old", "a-bob", 2));
        relay.online = false;
        assertThat(service.requestMissing("c-old").join()).isFalse();

        relay.online = true;
        assertThat(service.requestMissing("c-old").join()).isTrue();
        assertThat(relay.sent).containsExactly(new Frame.Sync("c-old", null, null, ConversationService.PAGE));
    }

    @Test
    void visitorConversations_mergesTheRelaysListIntoTheCache_andTellsListenersOfNewOnes() {
        service.onFrames(List.of(welcome(open("c-live"))));
        List<Runnable> http = new ArrayList<>();
        service.useVisitorConversations((site, visitor, before) -> new dev.kefu.agent.net.VisitorConversations.Page(
                List.of(open("c-live"), closedBy("c-old", "a-bob", 2),
                        new Frame.ConvInfo("c-other", "shop", ConvStatus.CLOSED, "v-someone-else-000", null, null, null, 1, 0)),
                false), http::add);
        events.clear();

        var listed = service.visitorConversations("shop", VISITOR.id());
        assertThat(listed).isNotDone(); // the HTTP call waits for its thread
        http.forEach(Runnable::run);
        assertThat(listed.join()).extracting(dev.kefu.agent.cache.Conversation::id).containsExactly("c-live", "c-old");
        assertThat(events).containsExactly("conv c-old closed");
        assertThat(cache.conversation("c-other")).as("another visitor's").isEmpty();
    }
}

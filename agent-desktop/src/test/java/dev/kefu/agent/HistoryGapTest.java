package dev.kefu.agent;

import dev.kefu.agent.cache.ChatMessage;
import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.chat.ConversationListener;
import dev.kefu.agent.chat.ChatViewModel;
import dev.kefu.agent.chat.OlderPage;
import dev.kefu.agent.login.AgentAccount;
import dev.kefu.agent.net.ConnectionState;
import dev.kefu.agent.testing.AgentWindow;
import dev.kefu.agent.testing.SessionProbe;
import dev.kefu.agent.testing.SessionTest;
import dev.kefu.agent.testing.TestRelay;
import dev.kefu.agent.ui.UiThread;
import dev.kefu.protocol.Frame;
import dev.kefu.relay.testing.WsClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testfx.util.WaitForAsyncUtils;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A gap in the middle of a cached conversation, the way it arises: the app followed a conversation
 * (seqs 1..60 cached) and was closed; the conversation went on and was closed meanwhile. On the next
 * start the welcome no longer lists it, so the app marks it closed, and the replay that follows
 * (it was named in {@code resume}) brings the rest, unless the app quits (or the connection drops)
 * before taking it all in: from then on the conversation is closed in the cache and no {@code hello}
 * names it again. Opening it fetches only its newest page, so the middle is missing. Scrolling up in
 * the chat (its view model, against a real relay and cache) fetches the gap from the relay: every
 * message once, in order. Offline, the cached part is shown and the gap is fetched once the relay is back.
 */
class HistoryGapTest extends SessionTest {
    private static final int CACHED = 60;
    /** Above a batch of frames ({@code AgentSession.MAX_BATCH}, 500) more than the cached part: a replay cut after one batch leaves a gap. */
    private static final int TOTAL = 700;
    private static final long WAIT_S = 20;

    @BeforeEach
    void fxToolkit() throws Exception {
        AgentWindow.prepareDisplay(); // the view model hands its updates to the FX thread
    }

    /**
     * A visitor's conversation of which alice's app (this test's cache folder) received 1..{@link #CACHED};
     * the visitor wrote on up to {@link #TOTAL} and closed it; then the app started again and quit after
     * taking in the first batch of frames after its welcome, before the rest of the replay.
     */
    private String replayCutShort(AgentAccount alice, WsClient visitor) throws Exception {
        String conv = visitor.say("message 1").path("conv").asText();
        say(visitor, conv, 2, CACHED);
        try (AgentSession first = session(alice)) {
            SessionProbe probe = SessionProbe.attach(first);
            first.start();
            probe.awaitMessage(m -> conv.equals(m.conv()) && m.seq() == CACHED, "the replay up to " + CACHED);
        }
        say(visitor, conv, CACHED + 1, TOTAL);
        visitor.send(new Frame.Close(conv));
        visitor.next(f -> "conv".equals(f.path("type").asText()) && "closed".equals(f.path("conv").path("status").asText()),
                "the close");

        AgentSession second = session(alice);
        CountDownLatch welcomed = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        second.conversations().addListener(new ConversationListener() {
            @Override
            public void conversationChanged(Conversation now, Conversation before) {
                if (now.id().equals(conv) && !now.isLive() && before != null && before.isLive()) {
                    welcomed.countDown(); // the welcome's batch is in the cache: hold the services thread there
                    try {
                        release.await(WAIT_S, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        });
        second.start();
        assertThat(welcomed.await(WAIT_S, TimeUnit.SECONDS)).as("the welcome closes the conversation").isTrue();
        Thread quitting = new Thread(second::close, "quitting");
        quitting.start();
        // the services thread takes no more work once closing: the replay's next batches are dropped
        WaitForAsyncUtils.waitFor(WAIT_S, TimeUnit.SECONDS, () -> second.conversations().outboxSize().isCompletedExceptionally());
        release.countDown();
        quitting.join(TimeUnit.SECONDS.toMillis(WAIT_S));
        return conv;
    }

    /** The visitor sends messages {@code from}..{@code to} into {@code conv}, then waits for the last ack. */
    private static void say(WsClient visitor, String conv, int from, int to) throws Exception {
        String last = null;
        for (int i = from; i <= to; i++) {
            last = visitor.reply(conv, "message " + i);
        }
        String cid = last;
        visitor.next(f -> "ack".equals(f.path("type").asText()) && cid.equals(f.path("cid").asText()), "ack of message " + to);
    }

    /** The session's conversations in a chat view model, told of the connection as the main window does. */
    private ChatViewModel chat(AgentSession s, AgentAccount alice) {
        ChatViewModel vm = new ChatViewModel(s.conversations(), alice.agentId(), List::of);
        s.addStatusListener(status -> UiThread.run(() -> vm.onlineProperty().set(status.isOnline())));
        return vm;
    }

    @Test
    void scrollingUp_toMessagesSentWhileAway_fetchesTheGap_everyMessageOnceInOrder() throws Exception {
        TestRelay relay = closer.track(TestRelay.start(relayDir));
        AgentAccount alice = relay.login("alice");
        WsClient visitor = closer.track(relay.visitor(TestRelay.newVisitorId(), "Li Lei 李雷"));
        String conv = replayCutShort(alice, visitor);

        AgentSession s = closer.track(session(alice));
        ChatViewModel vm = chat(s, alice);
        s.start();
        awaitClosedAt(s, conv, TOTAL);

        fx(() -> vm.inFrontProperty().set(true));
        fx(() -> vm.open(conv));
        awaitShown(vm, range(TOTAL - 49, TOTAL));
        assertThat(fxGet(() -> vm.olderAvailableProperty().get())).isTrue();
        // What the chat shows is read, up to the newest message, though the middle is not cached yet.
        try {
            WaitForAsyncUtils.waitFor(WAIT_S, TimeUnit.SECONDS, () -> s.conversations().conversation(conv)
                    .get(WAIT_S, TimeUnit.SECONDS).filter(c -> c.unread() == 0 && c.myReadSeq() == TOTAL).isPresent());
        } catch (java.util.concurrent.TimeoutException e) {
            assertThat(s.conversations().conversation(conv).get(WAIT_S, TimeUnit.SECONDS).orElseThrow())
                    .as("read up to the newest message").extracting(Conversation::unread, Conversation::myReadSeq)
                    .containsExactly(0, (long) TOTAL);
        }

        scrollToTop(vm);
        assertThat(seqs(vm)).as("every message once, in order").isEqualTo(range(1, TOTAL));
        assertThat(fxGet(() -> vm.messages().get(CACHED).body())).isEqualTo("message " + (CACHED + 1));
        assertThat(fxGet(() -> vm.olderAvailableProperty().get())).isFalse();

        OlderPage cached = s.conversations().older(conv, TOTAL - 49).get(WAIT_S, TimeUnit.SECONDS);
        assertThat(cached.relay()).as("the gap is in the cache now").isEqualTo(OlderPage.Relay.NOT_NEEDED);
        assertThat(cached.messages()).extracting(ChatMessage::seq).containsExactlyElementsOf(range(TOTAL - 99, TOTAL - 50));
    }

    @Test
    void scrollingUpOffline_showsTheCachedPart_andFetchesTheGapOnceTheRelayIsBack() throws Exception {
        TestRelay relay = TestRelay.start(relayDir);
        int port = relay.port();
        AgentAccount alice = relay.login("alice");
        String conv;
        try (WsClient visitor = relay.visitor(TestRelay.newVisitorId(), "Li Lei 李雷")) {
            conv = replayCutShort(alice, visitor);
        }
        AgentSession s = closer.track(session(alice));
        SessionProbe probe = SessionProbe.attach(s);
        ChatViewModel vm = chat(s, alice);
        s.start();
        probe.awaitState(ConnectionState.ONLINE);
        awaitClosedAt(s, conv, TOTAL);
        fx(() -> vm.open(conv));
        awaitShown(vm, range(TOTAL - 49, TOTAL));

        relay.close();
        probe.awaitDisconnected();
        waitUntil(() -> !vm.onlineProperty().get());
        fx(vm::loadOlder);
        waitUntil(() -> "history_offline".equals(vm.noticeProperty().get()) && !vm.loadingOlderProperty().get());
        assertThat(seqs(vm)).as("the gap is right below: nothing more to show offline").isEqualTo(range(TOTAL - 49, TOTAL));

        closer.track(TestRelay.start(relayDir, port));
        probe.awaitState(ConnectionState.ONLINE);
        awaitShown(vm, range(TOTAL - 99, TOTAL)); // asked for by itself
        assertThat(fxGet(() -> vm.noticeProperty().get())).isEmpty();
        scrollToTop(vm);
        assertThat(seqs(vm)).isEqualTo(range(1, TOTAL));
    }

    /**
     * Waits until the cache holds {@code conv} as closed with its last seq (the quitting app, or this
     * one after its welcome, asked the relay which conversations were closed while it was away).
     */
    private static void awaitClosedAt(AgentSession s, String conv, long lastSeq) throws Exception {
        WaitForAsyncUtils.waitFor(WAIT_S, TimeUnit.SECONDS, () -> s.conversations().conversation(conv)
                .get(WAIT_S, TimeUnit.SECONDS).filter(c -> !c.isLive() && c.lastSeq() == lastSeq).isPresent());
    }

    /** Loads older pages as scrolling to the top does, until the first message shows (at most 40 pages). */
    private static void scrollToTop(ChatViewModel vm) throws Exception {
        for (int page = 0; page < 40 && lowest(vm) > 1; page++) {
            long before = lowest(vm);
            fx(vm::loadOlder);
            waitUntil(() -> !vm.loadingOlderProperty().get() && lowestOnFx(vm) < before);
        }
        assertThat(lowest(vm)).isEqualTo(1);
    }

    /** Waits until the chat shows exactly the messages {@code expected}, in that order; says what it shows if not. */
    private static void awaitShown(ChatViewModel vm, List<Long> expected) throws Exception {
        try {
            waitUntil(() -> vm.messages().stream().map(ChatMessage::seq).toList().equals(expected));
        } catch (java.util.concurrent.TimeoutException e) {
            assertThat(seqs(vm)).as("shown within " + WAIT_S + " s").isEqualTo(expected);
        }
    }

    private static List<Long> seqs(ChatViewModel vm) throws Exception {
        return fxGet(() -> vm.messages().stream().map(ChatMessage::seq).toList());
    }

    private static long lowest(ChatViewModel vm) throws Exception {
        return fxGet(() -> lowestOnFx(vm));
    }

    private static long lowestOnFx(ChatViewModel vm) {
        return vm.messages().stream().mapToLong(ChatMessage::seq).filter(q -> q > 0).min().orElse(0);
    }

    private static List<Long> range(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().toList();
    }

    private static void fx(Runnable work) throws Exception {
        WaitForAsyncUtils.asyncFx(work).get(WAIT_S, TimeUnit.SECONDS);
    }

    private static <T> T fxGet(Callable<T> work) throws Exception {
        return WaitForAsyncUtils.asyncFx(work).get(WAIT_S, TimeUnit.SECONDS);
    }

    private static void waitUntil(Callable<Boolean> condition) throws Exception {
        WaitForAsyncUtils.waitFor(WAIT_S, TimeUnit.SECONDS, () -> WaitForAsyncUtils.asyncFx(condition).get());
    }
}

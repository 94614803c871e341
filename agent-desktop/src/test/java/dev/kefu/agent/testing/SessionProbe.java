package dev.kefu.agent.testing;

import dev.kefu.agent.AgentSession;
import dev.kefu.agent.cache.ChatMessage;
import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.chat.ConversationListener;
import dev.kefu.agent.net.ConnectionState;
import dev.kefu.agent.net.ConnectionStatus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Records what an {@link AgentSession} tells its listeners, for tests to wait on with timeouts:
 * connection states, messages, conversation changes and outbox sizes, each in its own queue.
 */
public final class SessionProbe implements ConversationListener {
    public static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final BlockingQueue<ConnectionStatus> states = new LinkedBlockingQueue<>();
    private final BlockingQueue<ChatMessage> messages = new LinkedBlockingQueue<>();
    private final BlockingQueue<Conversation> conversations = new LinkedBlockingQueue<>();
    private final BlockingQueue<Integer> outbox = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> drafts = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> refusals = new LinkedBlockingQueue<>();
    private final BlockingQueue<History> histories = new LinkedBlockingQueue<>();

    /** A page of history that came from the relay ({@code historyLoaded}). */
    public record History(String conv, List<ChatMessage> messages, boolean more) {}

    public static SessionProbe attach(AgentSession session) {
        SessionProbe p = new SessionProbe();
        session.conversations().addListener(p);
        session.addStatusListener(p.states::add);
        return p;
    }

    @Override
    public void conversationChanged(Conversation now, Conversation before) {
        conversations.add(now);
    }

    @Override
    public void messagesChanged(String conv, List<ChatMessage> list, boolean live) {
        messages.addAll(list);
    }

    @Override
    public void outboxChanged(int queued) {
        outbox.add(queued);
    }

    @Override
    public void draftChanged(String conv, String draft) {
        drafts.add(draft);
    }

    @Override
    public void historyLoaded(String conv, List<ChatMessage> older, boolean more) {
        histories.add(new History(conv, List.copyOf(older), more));
    }

    public History awaitHistory(String conv) throws InterruptedException {
        return await(histories, h -> h.conv().equals(conv), "history of " + conv);
    }

    /** Refusals as "conv code: message". */
    @Override
    public void refused(String conv, String code, String message) {
        refusals.add(conv + " " + code + ": " + message);
    }

    public String awaitRefusal(Predicate<String> match, String what) throws InterruptedException {
        return await(refusals, match, what);
    }

    public ConnectionStatus awaitState(ConnectionState state) throws InterruptedException {
        return await(states, s -> s.state() == state, "connection state " + state);
    }

    /** Waits for any state other than online. */
    public ConnectionStatus awaitDisconnected() throws InterruptedException {
        return await(states, s -> s.state() != ConnectionState.ONLINE, "a state other than ONLINE");
    }

    public ChatMessage awaitMessage(Predicate<ChatMessage> match, String what) throws InterruptedException {
        return await(messages, match, what);
    }

    public Conversation awaitConversation(Predicate<Conversation> match, String what) throws InterruptedException {
        return await(conversations, match, what);
    }

    public void awaitOutbox(int size) throws InterruptedException {
        await(outbox, n -> n == size, "outbox of " + size);
    }

    public String awaitDraft(Predicate<String> match) throws InterruptedException {
        return await(drafts, match, "a draft");
    }

    private static <T> T await(BlockingQueue<T> queue, Predicate<T> match, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        List<T> skipped = new ArrayList<>();
        while (true) {
            long left = deadline - System.nanoTime();
            T item = left <= 0 ? null : queue.poll(left, TimeUnit.NANOSECONDS);
            if (item == null) {
                throw new AssertionError("no " + what + " within " + TIMEOUT + "; saw " + skipped);
            }
            if (match.test(item)) {
                return item;
            }
            skipped.add(item);
        }
    }
}

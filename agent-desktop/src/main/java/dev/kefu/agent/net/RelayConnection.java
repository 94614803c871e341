package dev.kefu.agent.net;

import dev.kefu.protocol.CloseCodes;
import dev.kefu.protocol.ErrorCode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import org.glassfish.tyrus.client.ClientManager;
import org.glassfish.tyrus.client.ClientProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The agent's one WebSocket to the relay ({@code /ws/agent}), and the only class that writes to it.
 * It says {@code hello} (token and resume map, asked for afresh on every attempt), answers the
 * relay's JSON pings, drops a connection that stays silent for 2 x {@code heartbeatSec}, and
 * reconnects with {@link Backoff} until {@link #close()} or a final refusal such as
 * {@code bad_token}.
 *
 * <p>Threads: Tyrus delivers frames on its own threads, one frame at a time per connection; every
 * write goes through a single writer thread (never two writes in flight); connects and the silence
 * check run on a timer thread. Callbacks from a connection that was already given up are ignored
 * (each attempt has its own generation number).
 */
public final class RelayConnection implements FrameSender, AutoCloseable {
    /** Receives frames and state changes. Must not block for long: it holds up the socket's reader. */
    public interface Listener {
        /** Every frame except ping and pong, in arrival order, on a Tyrus thread. */
        void onFrame(Frame frame);

        /** A new connection state, on an internal thread. */
        void onStatus(ConnectionStatus status);
    }

    private static final Logger log = LoggerFactory.getLogger(RelayConnection.class);
    /** Consecutive failed attempts after which the state shows offline rather than reconnecting. */
    static final int OFFLINE_AFTER_FAILURES = 3;
    /** How long an attempt may take from TCP connect to {@code welcome}. */
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    private static final String PONG = FrameCodec.encode(new Frame.Pong());

    private final URI uri;
    private final Supplier<Frame.Hello> hello;
    private final Listener listener;
    private final Backoff backoff;
    /** Made on the first attempt, on the timer thread (loading Tyrus and Grizzly takes a while). */
    private volatile ClientManager client;
    private final ScheduledExecutorService timer;
    private final ExecutorService writer;

    private final Object lock = new Object();
    // guarded by lock
    private Session session;
    private int generation;
    private boolean welcomed;
    private boolean started;
    private boolean stopped;
    private int failures;
    private long lastReceivedNanos;
    private long silenceLimitNanos = HANDSHAKE_TIMEOUT.toNanos();
    private String finalError;
    private ConnectionStatus status = ConnectionStatus.offline();

    /**
     * @param uri      e.g. {@code ws://127.0.0.1:8080/ws/agent}
     * @param hello    builds the hello of each attempt (token and the cache's resume map); called on
     *                 the timer thread, never on the UI thread
     * @param listener told of every frame and state change
     */
    public RelayConnection(URI uri, Supplier<Frame.Hello> hello, Listener listener, Backoff backoff) {
        this.uri = uri;
        this.hello = hello;
        this.listener = listener;
        this.backoff = backoff;
        this.timer = Executors.newSingleThreadScheduledExecutor(daemon("kefu-connection"));
        this.writer = Executors.newSingleThreadExecutor(daemon("kefu-socket-writer"));
    }

    /** Starts connecting; the first attempt begins at once. */
    public void start() {
        synchronized (lock) {
            if (started || stopped) {
                return;
            }
            started = true;
        }
        publish(new ConnectionStatus(ConnectionState.RECONNECTING, 0, Instant.now(), null));
        timer.execute(this::connect);
        timer.scheduleWithFixedDelay(this::checkSilence, 250, 250, TimeUnit.MILLISECONDS);
    }

    public ConnectionStatus status() {
        synchronized (lock) {
            return status;
        }
    }

    @Override
    public boolean isOnline() {
        synchronized (lock) {
            return welcomed && session != null;
        }
    }

    @Override
    public boolean send(Frame frame) {
        int gen;
        synchronized (lock) {
            if (!welcomed || session == null) {
                return false;
            }
            gen = generation;
        }
        write(gen, FrameCodec.encode(frame));
        return true;
    }

    /** Drops the current connection, if any, and connects again at once ("retry now", and tests). */
    public void reconnectNow() {
        runOnTimer(() -> {
            int gen;
            boolean connected;
            synchronized (lock) {
                if (stopped) {
                    return;
                }
                gen = generation;
                connected = session != null;
                failures = 0;
            }
            if (connected) {
                giveUp(gen, "reconnect requested", false);
            }
            connect();
        });
    }

    private void runOnTimer(Runnable work) {
        try {
            timer.execute(work);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    // ---- connecting ----

    private void connect() {
        int gen;
        synchronized (lock) {
            if (stopped || session != null) {
                return;
            }
            gen = ++generation;
            welcomed = false;
            finalError = null;
        }
        Frame.Hello h;
        try {
            h = hello.get();
        } catch (RuntimeException e) {
            log.error("could not build hello", e);
            failed(gen, "hello: " + e);
            return;
        }
        Session s;
        try {
            if (client == null) {
                client = ClientManager.createClient();
                client.getProperties().put(ClientProperties.HANDSHAKE_TIMEOUT, (int) HANDSHAKE_TIMEOUT.toMillis());
            }
            s = client.connectToServer(new Socket(gen), ClientEndpointConfig.Builder.create().build(), uri);
        } catch (Exception e) {
            failed(gen, describe(e));
            return;
        }
        synchronized (lock) {
            if (stopped || gen != generation) {
                closeQuietly(s, CloseCodes.NORMAL, "superseded");
                return;
            }
            session = s;
            lastReceivedNanos = System.nanoTime();
            silenceLimitNanos = HANDSHAKE_TIMEOUT.toNanos();
        }
        log.info("connected to {}, saying hello", uri);
        write(gen, FrameCodec.encode(h));
    }

    /** An attempt or a live connection failed: plan the next attempt. */
    private void failed(int gen, String why) {
        Duration delay;
        ConnectionStatus next;
        synchronized (lock) {
            if (gen != generation || stopped) {
                return;
            }
            session = null;
            welcomed = false;
            failures++;
            delay = backoff.delay(failures);
            ConnectionState state = failures >= OFFLINE_AFTER_FAILURES ? ConnectionState.OFFLINE : ConnectionState.RECONNECTING;
            next = new ConnectionStatus(state, failures, Instant.now().plus(delay), null);
        }
        log.info("relay connection lost or refused ({}); {} failure(s) in a row, next attempt in {} ms", why,
                next.failures(), delay.toMillis());
        publish(next);
        try {
            timer.schedule(this::connect, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    private int failures() {
        synchronized (lock) {
            return failures;
        }
    }

    /** Forgets connection {@code gen} (closing it in the background) and, unless final, reconnects. */
    private void giveUp(int gen, String why, boolean reconnect) {
        Session old;
        synchronized (lock) {
            if (gen != generation || session == null) {
                return;
            }
            old = session;
            boolean wasWelcomed = welcomed;
            session = null;
            welcomed = false;
            generation++;
            if (wasWelcomed) {
                failures = 0;
            }
        }
        Thread closer = new Thread(() -> closeQuietly(old, CloseCodes.GOING_AWAY, why), "kefu-socket-close");
        closer.setDaemon(true);
        closer.start();
        if (reconnect) {
            int gen2;
            synchronized (lock) {
                gen2 = generation;
            }
            failed(gen2, why);
        }
    }

    private void checkSilence() {
        int gen;
        long silentMs;
        synchronized (lock) {
            if (session == null) {
                return;
            }
            long silent = System.nanoTime() - lastReceivedNanos;
            if (silent <= silenceLimitNanos) {
                return;
            }
            gen = generation;
            silentMs = silent / 1_000_000;
        }
        log.info("relay silent for {} ms: dropping the connection", silentMs);
        giveUp(gen, "silent for " + silentMs + " ms", true);
    }

    // ---- socket callbacks ----

    private void onText(int gen, String text) {
        synchronized (lock) {
            if (gen != generation) {
                return;
            }
            lastReceivedNanos = System.nanoTime();
        }
        Frame frame;
        try {
            frame = FrameCodec.decode(text);
        } catch (FrameException e) {
            log.warn("ignoring a frame from the relay: {}", e.getMessage());
            return;
        }
        if (frame instanceof Frame.Ping) {
            write(gen, PONG);
            return;
        }
        if (frame instanceof Frame.Pong) {
            return;
        }
        if (frame instanceof Frame.Welcome w) {
            synchronized (lock) {
                welcomed = true;
                failures = 0;
                silenceLimitNanos = TimeUnit.SECONDS.toNanos(2L * Math.max(1, w.heartbeatSec()));
            }
            publish(new ConnectionStatus(ConnectionState.ONLINE, 0, null, null));
        } else if (frame instanceof Frame.Error e) {
            ErrorCode code = ErrorCode.fromWire(e.code());
            if (code != null && code.closes()) {
                synchronized (lock) {
                    finalError = e.code();
                }
            }
        }
        listener.onFrame(frame);
    }

    private void onClosed(int gen, int code, String reason) {
        String refusal;
        synchronized (lock) {
            if (gen != generation || stopped) {
                return;
            }
            refusal = finalError != null ? finalError : CloseCodes.shouldReconnect(code) ? null : "closed_" + code;
            if (welcomed) {
                failures = 0;
            }
            session = null;
            welcomed = false;
            if (refusal != null) {
                generation++;
            }
        }
        if (refusal != null) {
            log.warn("relay refused the session ({}; close {} {}): not reconnecting", refusal, code, reason);
            publish(new ConnectionStatus(ConnectionState.OFFLINE, failures(), null, refusal));
            return;
        }
        log.info("relay closed the connection ({} {}): reconnecting", code, reason);
        failed(gen, "closed " + code);
    }

    // ---- writing ----

    private void write(int gen, String text) {
        Runnable work = () -> {
            Session s;
            synchronized (lock) {
                if (gen != generation || session == null) {
                    return;
                }
                s = session;
            }
            try {
                s.getBasicRemote().sendText(text);
            } catch (IOException | RuntimeException e) {
                log.info("write failed: {}", e.toString());
                giveUp(gen, "write failed", true);
            }
        };
        try {
            writer.execute(work);
        } catch (RejectedExecutionException e) {
            // closed: the outbox keeps what matters
        }
    }

    private void publish(ConnectionStatus next) {
        synchronized (lock) {
            if (stopped && next.state() != ConnectionState.OFFLINE) {
                return;
            }
            status = next;
        }
        try {
            listener.onStatus(next);
        } catch (RuntimeException e) {
            log.error("connection listener failed", e);
        }
    }

    /** Stops for good: closes the socket (normal closure), cancels retries, frees Tyrus' threads. */
    @Override
    public void close() {
        Session s;
        synchronized (lock) {
            if (stopped) {
                return;
            }
            stopped = true;
            generation++;
            s = session;
            session = null;
            welcomed = false;
        }
        timer.shutdownNow();
        try {
            timer.awaitTermination(1, TimeUnit.SECONDS); // let an attempt under way notice; shutdown() below ends it anyway
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (s != null) {
            closeQuietly(s, CloseCodes.NORMAL, "agent app stopped");
        }
        writer.shutdown();
        try {
            writer.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (client != null) {
            client.shutdown();
        }
        synchronized (lock) {
            status = ConnectionStatus.offline();
        }
        listener.onStatus(ConnectionStatus.offline());
    }

    private static void closeQuietly(Session s, int code, String why) {
        try {
            s.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(code), why));
        } catch (IOException | RuntimeException e) {
            log.debug("closing the socket: {}", e.toString());
        }
    }

    private static String describe(Exception e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** One attempt's endpoint; its callbacks carry the attempt's generation. */
    private final class Socket extends Endpoint {
        private final int gen;

        Socket(int gen) {
            this.gen = gen;
        }

        @Override
        public void onOpen(Session s, EndpointConfig config) {
            s.setMaxTextMessageBufferSize(1024 * 1024);
            s.addMessageHandler(String.class, (MessageHandler.Whole<String>) text -> onText(gen, text));
        }

        @Override
        public void onClose(Session s, CloseReason reason) {
            onClosed(gen, reason.getCloseCode().getCode(), reason.getReasonPhrase());
        }

        @Override
        public void onError(Session s, Throwable error) {
            log.info("socket error: {}", error.toString());
            giveUp(gen, "socket error", true);
        }
    }
}

package dev.kefu.agent;

import dev.kefu.agent.cache.ChatCache;
import dev.kefu.agent.chat.ConversationService;
import dev.kefu.agent.login.AgentAccount;
import dev.kefu.agent.net.Backoff;
import dev.kefu.agent.net.ConnectionState;
import dev.kefu.agent.net.ConnectionStatus;
import dev.kefu.agent.net.ClosedChangesClient;
import dev.kefu.agent.net.FilesClient;
import dev.kefu.agent.net.RelayConnection;
import dev.kefu.agent.net.VisitorConversationsClient;
import dev.kefu.agent.notify.AlertService;
import dev.kefu.agent.notify.AlertSink;
import dev.kefu.agent.notify.Sound;
import dev.kefu.agent.settings.Preferences;
import dev.kefu.agent.upload.FileCache;
import dev.kefu.agent.upload.Uploader;
import dev.kefu.agent.visitors.VisitorService;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A logged-in agent's services, assembled: the cache file of this account, the connection to the
 * relay, and the conversation, visitor and alert services, all sharing one services thread
 * ({@code kefu-core}). Frames from the socket are queued and taken in batches, one cache
 * transaction per batch. No UI here: the app (or a test) builds it and subscribes.
 */
public final class AgentSession implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AgentSession.class);
    private static final int MAX_BATCH = 500;

    private final AgentAccount account;
    private final ChatCache cache;
    private final ExecutorService core;
    private final ScheduledExecutorService ticker;
    private final RelayConnection connection;
    private final ConversationService conversations;
    private final VisitorService visitors;
    private final AlertService alerts;
    private final ExecutorService uploadThread;
    private final Uploader uploader;
    private final FileCache files;
    private final ExecutorService downloads = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "kefu-download");
        t.setDaemon(true);
        return t;
    });
    private final List<Consumer<ConnectionStatus>> statusListeners = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Frame> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private volatile ConnectionStatus status = ConnectionStatus.offline();

    private AgentSession(AgentAccount account, ChatCache cache, Path dataDir, Uploader.Options uploadOptions,
                         Supplier<Preferences> preferences, Sound sound, AlertSink sink) {
        this.account = account;
        this.cache = cache;
        this.core = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "kefu-core");
            t.setDaemon(true);
            return t;
        });
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kefu-tick");
            t.setDaemon(true);
            return t;
        });
        this.connection = new RelayConnection(account.server().ws("/ws/agent"), this::hello, new RelayConnection.Listener() {
            @Override
            public void onFrame(Frame frame) {
                receive(frame);
            }

            @Override
            public void onStatus(ConnectionStatus s) {
                statusChanged(s);
            }
        }, new Backoff());
        Frame.Party me = new Frame.Party(Role.AGENT, account.agentId(), account.agentName());
        this.conversations = new ConversationService(cache, connection, core, me, account.admin());
        this.visitors = new VisitorService(cache, core);
        this.alerts = new AlertService(preferences, sound, sink, System::currentTimeMillis);
        conversations.addListener(alerts);
        this.uploadThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "kefu-upload");
            t.setDaemon(true);
            return t;
        });
        FilesClient filesClient = new FilesClient(account.server(), account.token());
        Path userDir = ChatCache.fileFor(dataDir, account.server().fileKey(), account.username()).getParent();
        this.uploader = new Uploader(filesClient, userDir.resolve("uploads"), uploadOptions);
        this.files = new FileCache(filesClient, userDir.resolve("files"));
        conversations.useUploader(uploader, uploadThread, userDir.resolve("outgoing"));
        conversations.useClosedChanges(new ClosedChangesClient(account.server(), account.token()), downloads);
        conversations.useVisitorConversations(new VisitorConversationsClient(account.server(), account.token()), downloads);
    }

    /** Opens the account's cache under {@code dataDir} (blocking: SQLite). Nothing connects before {@link #start()}. */
    public static AgentSession open(AgentAccount account, Path dataDir, Supplier<Preferences> preferences, Sound sound,
                                    AlertSink sink) {
        return open(account, dataDir, Uploader.Options.DEFAULTS, preferences, sound, sink);
    }

    /** As above, with the upload options (part sizes, signature version). */
    public static AgentSession open(AgentAccount account, Path dataDir, Uploader.Options uploadOptions,
                                    Supplier<Preferences> preferences, Sound sound, AlertSink sink) {
        ChatCache cache = ChatCache.open(ChatCache.fileFor(dataDir, account.server().fileKey(), account.username()));
        return new AgentSession(account, cache, dataDir, uploadOptions, preferences, sound, sink);
    }

    /** Primes the alerts with the cached conversations, then connects. */
    public void start() {
        // First on the services thread, so before any frame of the new connection.
        onCore(() -> alerts.prime(cache.conversations(ConversationService.LIST_LIMIT)));
        ticker.scheduleAtFixedRate(() -> onCore(alerts::tick), 1, 1, TimeUnit.SECONDS);
        connection.start();
    }

    public AgentAccount account() {
        return account;
    }

    public ConversationService conversations() {
        return conversations;
    }

    public VisitorService visitors() {
        return visitors;
    }

    public AlertService alerts() {
        return alerts;
    }

    public Uploader uploader() {
        return uploader;
    }

    /** Downloads of images and files by signed URL, cached in the data folder. */
    public FileCache files() {
        return files;
    }

    /** The bytes of a stored file (cached, else by signed URL), fetched off the calling thread. */
    public java.util.concurrent.CompletableFuture<byte[]> fileBytes(String key) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return files.bytes(key);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, downloads);
    }

    /** A fresh signed URL of a stored file (to open it in the browser). */
    public java.util.concurrent.CompletableFuture<String> fileUrl(String key) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return files.signedUrl(key);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, downloads);
    }

    public ConnectionStatus status() {
        return status;
    }

    /** Told of every state change (on an internal thread), and of the current state at once. */
    public void addStatusListener(Consumer<ConnectionStatus> listener) {
        statusListeners.add(listener);
        listener.accept(status);
    }

    /** Drops the connection and reconnects at once (the "retry now" link). */
    public void reconnectNow() {
        connection.reconnectNow();
    }

    private Frame.Hello hello() {
        return conversations.hello(account.token());
    }

    private void receive(Frame frame) {
        inbox.add(frame);
        if (draining.compareAndSet(false, true)) {
            onCore(this::drain);
        }
    }

    /** On the services thread: takes what has queued up, as one batch per service. */
    private void drain() {
        List<Frame> chat = new ArrayList<>();
        List<Frame> presence = new ArrayList<>();
        Frame f;
        while (chat.size() + presence.size() < MAX_BATCH && (f = inbox.poll()) != null) {
            (f instanceof Frame.VisitorEvent || f instanceof Frame.VisitorList ? presence : chat).add(f);
        }
        try {
            if (!chat.isEmpty()) {
                conversations.onFrames(chat);
            }
            if (!presence.isEmpty()) {
                visitors.onFrames(presence);
            }
        } catch (RuntimeException e) {
            log.error("handling frames failed", e);
        } finally {
            draining.set(false);
            if (!inbox.isEmpty() && draining.compareAndSet(false, true)) {
                onCore(this::drain);
            }
        }
    }

    private void onCore(Runnable work) {
        try {
            core.execute(work);
        } catch (RejectedExecutionException e) {
            // closing: nothing is lost. Live conversations are replayed from the relay's store next time; one the
            // last welcome found closed is not, and the chat fetches what it lacks when scrolled to (older()).
        }
    }

    private void statusChanged(ConnectionStatus s) {
        ConnectionStatus before = status;
        status = s;
        if (before.state() == ConnectionState.ONLINE && s.state() != ConnectionState.ONLINE) {
            visitors.connectionLost();
        }
        for (Consumer<ConnectionStatus> l : statusListeners) {
            try {
                l.accept(s);
            } catch (RuntimeException e) {
                log.error("status listener failed", e);
            }
        }
    }

    /** Disconnects, lets queued work finish, closes the cache. The outbox stays for the next start. */
    @Override
    public void close() {
        connection.close();
        ticker.shutdownNow();
        uploadThread.shutdownNow();
        downloads.shutdownNow();
        core.shutdown();
        try {
            if (!core.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("services thread still busy after 5 s; closing the cache anyway");
                core.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        cache.close();
    }
}

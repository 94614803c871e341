package dev.kefu.relay;

import dev.kefu.protocol.Limits;
import dev.kefu.relay.auth.AuthService;
import dev.kefu.relay.auth.PasswordHasher;
import dev.kefu.relay.auth.TokenService;
import dev.kefu.relay.config.RelayConfig;
import dev.kefu.relay.conversation.ConversationHub;
import dev.kefu.relay.desk.DeskService;
import dev.kefu.relay.desk.Statistics;
import dev.kefu.relay.files.FileService;
import dev.kefu.relay.store.DeskStore;
import dev.kefu.relay.store.FileStore;
import dev.kefu.relay.store.HistoryStore;
import dev.kefu.relay.ops.Operations;
import dev.kefu.relay.store.AccountStore;
import dev.kefu.relay.store.DataFolderLock;
import dev.kefu.relay.store.Ids;
import dev.kefu.relay.store.SqliteDatabase;
import dev.kefu.relay.store.SqliteMessageStore;
import dev.kefu.relay.tracking.VisitorTracker;
import dev.kefu.relay.transport.RelayHandler;
import dev.kefu.relay.transport.WebSocketTransport;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.ForwardedRequestCustomizer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.server.WebSocketCreator;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;

/**
 * The relay, assembled: SQLite store, auth, conversation hub, visitor tracking, and Jetty serving
 * WebSocket ({@code /ws/visitor}, {@code /ws/agent}) and HTTP ({@code /lp/*}, {@code /api/*},
 * {@code /health}, {@code /metrics}, {@code /widget.js}, {@code /src/widget.js}, {@code /demo}).
 * {@link #close()} is the graceful shutdown: clients are told to reconnect, then every queued write
 * is committed. While it runs it holds its data folder's {@link DataFolderLock}: a second relay on
 * the folder, or a restore, is refused.
 */
public final class RelayServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RelayServer.class);

    private final RelayConfig config;
    private final SqliteMessageStore store;
    private final ConversationHub hub;
    private final RelayHandler handler;
    private final Server jetty;
    private final ServerConnector connector;
    private final PrometheusMeterRegistry meters;
    private final AccountStore accounts;
    private final DataFolderLock folderLock;

    private RelayServer(RelayConfig config, DataFolderLock folderLock, Consumer<AccountStore> setup) throws Exception {
        this.config = config;
        this.folderLock = folderLock;
        SqliteDatabase db = SqliteDatabase.open(config.dataDir());
        this.accounts = new AccountStore(db);
        byte[] tokenKey = Base64.getDecoder().decode(
                accounts.settingIfAbsent("token_key", Base64.getEncoder().encodeToString(Ids.random(48).getBytes())));
        setup.accept(accounts);

        meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(meters);
        new JvmGcMetrics().bindTo(meters);
        new JvmThreadMetrics().bindTo(meters);
        new ProcessorMetrics().bindTo(meters);

        store = new SqliteMessageStore(db, config.writeBatch(), config.writeQueue(), meters);
        PasswordHasher hasher = new PasswordHasher(config.passwordIterations());
        AuthService auth = new AuthService(accounts, hasher,
                new TokenService(tokenKey, config.tokenTtl(), Clock.systemUTC()), store);
        DeskStore deskStore = new DeskStore(db);
        HistoryStore history = new HistoryStore(db, store::indexForSearch);
        VisitorTracker tracker = new VisitorTracker();
        FileStore fileStore = new FileStore(db);
        FileService files = new FileService(config.files(), config.dataDir(), tokenKey, fileStore, Clock.systemUTC());
        hub = new ConversationHub(config, store, auth, accounts, deskStore, tracker, meters, files, fileStore);
        DeskService desk = new DeskService(accounts, deskStore, history, hub, tracker, hasher);

        QueuedThreadPool threads = new QueuedThreadPool(200, 8);
        threads.setName("kefu-http");
        jetty = new Server(threads);
        jetty.setStopTimeout(5_000);
        HttpConfiguration http = new HttpConfiguration();
        if (config.trustProxy()) {
            // Behind a reverse proxy: Request.getRemoteAddr (WebSocket upgrades, long-poll, uploads) is then
            // the client of Forwarded / X-Forwarded-For, not the proxy. Off, those headers are ignored.
            http.addCustomizer(new ForwardedRequestCustomizer());
        }
        connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.setAcceptQueueSize(1024);
        jetty.addConnector(connector);

        String version = version();
        handler = new RelayHandler(hub, config, auth, new Operations(store, meters, hub::connectionCount, version),
                hub.workers(), desk, new Statistics(history), store, files, deskStore, fileStore);
        WebSocketUpgradeHandler ws = WebSocketUpgradeHandler.from(jetty, container -> {
            // Frames a little above the largest allowed (a hello) are read so the relay can answer
            // too_large itself; larger ones Jetty closes (1009).
            container.setMaxTextMessageSize(Limits.MAX_HELLO_BYTES + 256 * 1024);
            // Jetty starts every incoming text message in a buffer of this many characters (4,096 by
            // default, doubled again by the first Chinese character): 12 KB of garbage per chat frame
            // of a few hundred bytes. Larger frames just grow it.
            container.setInputBufferSize(INPUT_BUFFER_BYTES);
            // Silence is detected by the heartbeat; this is only a backstop.
            container.setIdleTimeout(Duration.ofSeconds(Math.max(60, config.heartbeatSec() * 3L)));
            container.addMapping("/ws/visitor", creator("visitor"));
            container.addMapping("/ws/agent", creator("agent"));
        });
        ws.setHandler(handler);
        jetty.setHandler(ws);
        jetty.start();
        log.info("kefu relay {} listening on {}:{} (data {}, store epoch {})", version, config.host(), port(),
                config.dataDir(), hub.epoch());
    }

    /**
     * Starts a relay on {@code config}; {@code setup} runs once the database is open, before serving.
     * Throws {@link DataFolderLock.Held} when another relay or a restore works on the data folder.
     */
    public static RelayServer start(RelayConfig config, Consumer<AccountStore> setup) throws Exception {
        DataFolderLock lock = DataFolderLock.acquire(config.dataDir());
        try {
            return new RelayServer(config, lock, setup);
        } catch (Exception | Error e) {
            lock.close();
            throw e;
        }
    }

    public static RelayServer start(RelayConfig config) throws Exception {
        return start(config, a -> { });
    }

    private WebSocketCreator creator(String role) {
        return (request, response, callback) -> {
            if (!config.wsDeflate()) {
                response.setExtensions(List.of()); // whatever the client offered (browsers offer permessage-deflate)
            }
            return newTransport(role, request);
        };
    }

    private WebSocketTransport newTransport(String role, ServerUpgradeRequest request) {
        return new WebSocketTransport(hub, role,
                request.getHeaders().get(HttpHeader.ORIGIN), Request.getRemoteAddr(request),
                request.getHeaders().get(HttpHeader.USER_AGENT));
    }

    /** Read buffer of a WebSocket, and the starting size of each incoming message's text. */
    static final int INPUT_BUFFER_BYTES = 1024;

    public static String version() {
        String v = RelayServer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    public URI httpUri() {
        return URI.create("http://127.0.0.1:" + port());
    }

    public URI wsUri() {
        return URI.create("ws://127.0.0.1:" + port());
    }

    public AccountStore accounts() {
        return accounts;
    }

    public RelayConfig config() {
        return config;
    }

    /** The message store (tests stall its writer with it). */
    public SqliteMessageStore store() {
        return store;
    }

    /** Graceful stop: clients are told to reconnect (close 1012), queued writes commit, the file closes. */
    @Override
    public void close() {
        log.info("kefu relay stopping");
        try {
            connector.close();
            // Long-polling first: a client whose poll the shutdown answers opens again at once, on a
            // connection still open, and that open must be refused before the hub's pool stops.
            handler.close();
            hub.close();
            jetty.stop();
        } catch (Exception e) {
            log.warn("stopping Jetty failed: {}", e.toString());
        }
        store.close();
        meters.close();
        folderLock.close();
        log.info("kefu relay stopped");
    }
}

package dev.kefu.relay.transport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.ErrorCode;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;
import dev.kefu.relay.auth.AuthService;
import dev.kefu.relay.config.RelayConfig;
import dev.kefu.relay.conversation.ConversationHub;
import dev.kefu.relay.desk.DeskService;
import dev.kefu.relay.desk.Statistics;
import dev.kefu.relay.files.FileService;
import dev.kefu.relay.store.DeskStore;
import dev.kefu.relay.store.FileStore;
import dev.kefu.relay.store.MessageStore;
import dev.kefu.relay.ops.Operations;
import dev.kefu.relay.store.AgentRecord;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

/**
 * Every plain HTTP endpoint of the relay: long-polling, login, operations, and the widget's static
 * files. WebSocket upgrades on {@code /ws/*} are taken before this handler sees them.
 */
public final class RelayHandler extends Handler.Abstract implements AutoCloseable {
    private static final int MAX_LOGIN_BYTES = 4096;

    private final LongPollHandler longPoll;
    private final AuthService auth;
    private final Operations ops;
    private final ExecutorService workers;
    private final ApiHandler api;
    private final Map<String, byte[]> staticFiles = new ConcurrentHashMap<>();

    private final FilesHandler files;

    public RelayHandler(ConversationHub hub, RelayConfig config, AuthService auth, Operations ops,
                        ExecutorService workers, DeskService desk, Statistics statistics, MessageStore store,
                        FileService fileService, DeskStore deskStore, FileStore fileStore) {
        this.longPoll = new LongPollHandler(hub, config);
        this.auth = auth;
        this.ops = ops;
        this.workers = workers;
        this.api = new ApiHandler(auth, desk, statistics, store, hub, workers);
        this.files = new FilesHandler(fileService, auth, deskStore, fileStore, store, workers,
                FilesHandler.tempDir(config.dataDir()));
    }

    public int longPollSessions() {
        return longPoll.sessionCount();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        String method = request.getMethod();
        if (HttpMethod.OPTIONS.is(method) && (path.startsWith("/lp/") || path.startsWith("/api/"))) {
            Http.preflight(request, response, callback);
            return true;
        }
        switch (path) {
            case "/lp/open" -> {
                if (!post(method, response, callback)) return true;
                longPoll.open(request, response, callback);
            }
            case "/lp/send" -> {
                if (!post(method, response, callback)) return true;
                longPoll.send(request, response, callback);
            }
            case "/lp/poll" -> longPoll.poll(request, response, callback);
            case "/api/login" -> {
                if (!post(method, response, callback)) return true;
                login(request, response, callback);
            }
            case "/health" -> ops.health(response, callback);
            case "/metrics" -> ops.metrics(response, callback);
            // The minified build of the widget; its readable source (same behaviour) for debugging.
            case "/widget.js" -> resource(request, response, callback, "kefu/widget/widget.min.js",
                    "text/javascript; charset=utf-8");
            case "/src/widget.js" -> resource(request, response, callback, "kefu/widget/widget.js",
                    "text/javascript; charset=utf-8");
            case "/demo", "/demo.html", "/" -> resource(request, response, callback, "kefu/widget/demo.html",
                    "text/html; charset=utf-8");
            default -> {
                if ((path.startsWith("/api/files/") || path.startsWith("/files/"))
                        && files.handle(path, request, response, callback)) {
                    return true;
                }
                if (path.startsWith("/api/")) {
                    api.handle(path, request, response, callback);
                } else {
                    Http.apiError(response, 404, ErrorCode.BAD_FRAME, "no such endpoint: " + path, callback);
                }
            }
        }
        return true;
    }

    private static boolean post(String method, Response response, Callback callback) {
        if (HttpMethod.POST.is(method)) {
            return true;
        }
        response.getHeaders().put(HttpHeader.ALLOW, "POST, OPTIONS");
        Http.apiError(response, 405, ErrorCode.BAD_FRAME, "use POST", callback);
        return false;
    }

    /** {@code POST /api/login} {@code {"username","password"}} -> {@code {"token","expiresAt","agent"}}. */
    private void login(Request request, Response response, Callback callback) {
        Content.Source.asByteArrayAsync(request, MAX_LOGIN_BYTES + 1).whenComplete((bytes, ex) -> {
            if (ex != null || bytes.length > MAX_LOGIN_BYTES) {
                Http.apiError(response, 413, ErrorCode.TOO_LARGE, "login body too large", callback);
                return;
            }
            String username;
            String password;
            try {
                JsonNode body = FrameCodec.parse(Http.utf8(bytes));
                username = body.path("username").isTextual() ? body.get("username").asText() : null;
                password = body.path("password").isTextual() ? body.get("password").asText() : null;
            } catch (FrameException e) {
                Http.apiError(response, 400, ErrorCode.BAD_FRAME, e.getMessage(), callback);
                return;
            }
            if (username == null || password == null) {
                Http.apiError(response, 400, ErrorCode.BAD_FRAME, "username and password are required", callback);
                return;
            }
            // Password hashing is slow on purpose: keep it off Jetty's I/O threads.
            workers.execute(() -> auth.login(username, password).ifPresentOrElse(
                    login -> Http.json(response, 200, loginJson(login), callback),
                    () -> Http.apiError(response, 401, ErrorCode.BAD_TOKEN, "wrong username or password", callback)));
        });
    }

    private static String loginJson(AuthService.Login login) {
        AgentRecord a = login.agent();
        Map<String, Object> agent = new LinkedHashMap<>();
        agent.put("id", a.id());
        agent.put("username", a.username());
        agent.put("name", a.shownName());
        agent.put("admin", a.admin());
        agent.put("sites", a.sites());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("token", login.token());
        body.put("expiresAt", login.expiresAt());
        body.put("agent", agent);
        try {
            return FrameCodec.mapper().writeValueAsString(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void resource(Request request, Response response, Callback callback, String name, String type) {
        byte[] bytes = staticFiles.computeIfAbsent(name, RelayHandler::load);
        if (bytes.length == 0) {
            Http.apiError(response, 404, ErrorCode.BAD_FRAME, "not bundled with this relay: " + name, callback);
            return;
        }
        Http.allowOrigin(request, response);
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "public, max-age=300");
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }

    private static byte[] load(String name) {
        try (InputStream in = RelayHandler.class.getClassLoader().getResourceAsStream(name)) {
            return in == null ? new byte[0] : in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    @Override
    public void close() {
        longPoll.close();
    }
}

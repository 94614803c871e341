package dev.kefu.relay.transport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.ErrorCode;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;
import dev.kefu.relay.auth.AuthService;
import dev.kefu.relay.files.FileException;
import dev.kefu.relay.files.FileService;
import dev.kefu.relay.store.AgentRecord;
import dev.kefu.relay.store.Conversation;
import dev.kefu.relay.store.DeskStore;
import dev.kefu.relay.store.FileStore;
import dev.kefu.relay.store.MessageStore;
import dev.kefu.relay.store.SiteRecord;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.MultiPart;
import org.eclipse.jetty.http.MultiPartConfig;
import org.eclipse.jetty.http.MultiPartFormData;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.InputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

/**
 * The files endpoints: {@code POST /api/files/credentials} (agents), {@code POST /api/files/policy}
 * (visitors), {@code GET /api/files/url}, and in local mode the relay's own storage:
 * {@code POST /api/files/upload} (PostObject-shaped form), {@code PUT /api/files/upload?token=&key=&name=}
 * and {@code GET /files/KEY?exp=&sig=}.
 */
final class FilesHandler {
    private static final Logger log = LoggerFactory.getLogger(FilesHandler.class);
    private static final Duration URL_TTL = Duration.ofMinutes(15);

    private final FileService files;
    private final AuthService auth;
    private final DeskStore desk;
    private final FileStore fileStore;
    private final MessageStore store;
    private final ExecutorService workers;
    private final Path tmp;

    FilesHandler(FileService files, AuthService auth, DeskStore desk, FileStore fileStore, MessageStore store,
                 ExecutorService workers, Path tmp) {
        this.files = files;
        this.auth = auth;
        this.desk = desk;
        this.fileStore = fileStore;
        this.store = store;
        this.workers = workers;
        this.tmp = tmp;
    }

    /** Handles a files path; false when it is not one. */
    boolean handle(String path, Request request, Response response, Callback callback) {
        String method = request.getMethod();
        if (path.equals("/api/files/upload") && method.equals("POST")) {
            formUpload(request, response, callback);
        } else if (path.equals("/api/files/upload") && method.equals("PUT")) {
            tokenUpload(request, response, callback);
        } else if (path.startsWith("/files/") && method.equals("GET")) {
            download(path.substring("/files/".length()), request, response, callback);
        } else if (path.equals("/api/files/credentials") || path.equals("/api/files/policy") || path.equals("/api/files/url")) {
            Content.Source.asByteArrayAsync(request, 8192).whenComplete((bytes, ex) -> workers.execute(() ->
                    answer(path, request, response, callback, ex == null ? bytes : null)));
        } else {
            return false;
        }
        return true;
    }

    private void answer(String path, Request request, Response response, Callback callback, byte[] bytes) {
        Http.allowOrigin(request, response);
        try {
            if (bytes == null) {
                throw new FileException(413, "request too large");
            }
            URI base = baseUri(request);
            JsonNode body = bytes.length == 0 ? FrameCodec.mapper().createObjectNode() : FrameCodec.parse(Http.utf8(bytes));
            Fields query = Request.extractQueryParameters(request);
            switch (path) {
                case "/api/files/credentials" -> {
                    AgentRecord agent = agent(request);
                    Http.json(response, 200, files.agentCredentials(agent.id(), base).toString(), callback);
                }
                case "/api/files/policy" -> {
                    Visitor v = visitor(body.path("site").asText(null), body.path("visitor").asText(null),
                            body.path("userId").asText(null), body.path("userHash").asText(null), false, request);
                    Http.json(response, 200, files.browserPolicy(v.site.key(), v.id, base).toString(), callback);
                }
                default -> {
                    String key = query.getValue("key");
                    if (!files.isValidKey(key)) {
                        throw new FileException(400, "key is missing or malformed");
                    }
                    if (request.getHeaders().get(HttpHeader.AUTHORIZATION) != null) {
                        requireAgentMayRead(agent(request), key);
                    } else {
                        Visitor v = visitor(query.getValue("site"), query.getValue("visitor"), query.getValue("userId"),
                                query.getValue("userHash"), true, request);
                        requireVisitorMayRead(v, key);
                    }
                    Http.json(response, 200, files.downloadUrl(key, base, URL_TTL).toString(), callback);
                }
            }
        } catch (FileException e) {
            error(response, e, callback);
        } catch (FrameException e) {
            Http.apiError(response, 400, ErrorCode.BAD_FRAME, e.getMessage(), callback);
        } catch (RuntimeException e) {
            log.error("files endpoint {} failed", path, e);
            Http.apiError(response, 503, ErrorCode.SERVER_BUSY, "files unavailable; retry", callback);
        }
    }

    /** Local mode: a browser's PostObject-shaped multipart form. */
    private void formUpload(Request request, Response response, Callback callback) {
        Http.allowOrigin(request, response);
        if (files.config().isOss()) {
            error(response, new FileException(404, "uploads go to OSS in this relay"), callback);
            return;
        }
        String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        String boundary = contentType == null ? null : MultiPart.extractBoundary(contentType);
        if (boundary == null) {
            error(response, new FileException(400, "expected multipart/form-data"), callback);
            return;
        }
        MultiPartConfig cfg = new MultiPartConfig.Builder().location(tmp).maxParts(20)
                .maxSize(files.config().maxBytes() + 64 * 1024).maxPartSize(files.config().maxBytes() + 1)
                .maxMemoryPartSize(64 * 1024).build();
        MultiPartFormData.from(request, request, contentType, cfg).whenComplete((parts, ex) -> workers.execute(() -> {
            if (ex != null) {
                error(response, new FileException(ex.getMessage() != null && ex.getMessage().contains("max")
                        ? 413 : 400, "unreadable upload: " + ex.getMessage()), callback);
                return;
            }
            try (parts) {
                Map<String, String> fields = new HashMap<>();
                MultiPart.Part file = null;
                for (MultiPart.Part part : parts) {
                    if ("file".equals(part.getName())) {
                        file = part;
                    } else {
                        fields.put(part.getName(), part.getContentAsString(StandardCharsets.UTF_8));
                    }
                }
                if (file == null) {
                    throw new FileException(400, "the form has no file field");
                }
                String mime = Optional.ofNullable(file.getHeaders().get(HttpHeader.CONTENT_TYPE))
                        .orElse(fields.getOrDefault("Content-Type", "application/octet-stream"));
                String name = file.getFileName();
                String key = fields.getOrDefault("key", "").replace("${filename}", name == null ? "file" : name);
                fields.put("key", key);
                try (InputStream in = Content.Source.asInputStream(file.createContentSource())) {
                    files.storeWithPolicy(fields, name, mime, file.getLength(), in);
                }
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/xml");
                response.setStatus(201);
                Content.Sink.write(response, true, "<PostResponse><Key>" + xml(key) + "</Key></PostResponse>", callback);
            } catch (FileException e) {
                error(response, e, callback);
            } catch (Exception e) {
                log.error("form upload failed", e);
                error(response, new FileException(503, "upload failed: " + e.getMessage()), callback);
            }
        }));
    }

    /** Local mode: a desktop app's upload with its one-time token. */
    private void tokenUpload(Request request, Response response, Callback callback) {
        Fields query = Request.extractQueryParameters(request);
        String key = Optional.ofNullable(query.getValue("key")).orElse("");
        String token = query.getValue("token");
        String mime = Optional.ofNullable(request.getHeaders().get(HttpHeader.CONTENT_TYPE)).orElse("application/octet-stream");
        String name = query.getValue("name");
        long length = request.getLength();
        workers.execute(() -> {
            try (InputStream in = Content.Source.asInputStream(request)) {
                files.storeWithToken(token, key, name, mime, length, in);
                Http.json(response, 200, "{\"key\":\"" + key.replace("\"", "") + "\"}", callback);
            } catch (FileException e) {
                error(response, e, callback);
            } catch (Exception e) {
                error(response, new FileException(503, "upload failed: " + e.getMessage()), callback);
            }
        });
    }

    private void download(String encodedKey, Request request, Response response, Callback callback) {
        Http.allowOrigin(request, response);
        Fields query = Request.extractQueryParameters(request);
        workers.execute(() -> {
            try {
                String key = URLDecoder.decode(encodedKey, StandardCharsets.UTF_8);
                long exp = Long.parseLong(Optional.ofNullable(query.getValue("exp")).orElse("0"));
                FileService.LocalFile f = files.open(key, exp, query.getValue("sig"));
                response.setStatus(200);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, f.mime());
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, f.size());
                response.getHeaders().put("X-Content-Type-Options", "nosniff");
                response.getHeaders().put(HttpHeader.CACHE_CONTROL, "private, max-age=900");
                String disposition = f.mime().startsWith("image/") ? "inline" : "attachment";
                String filename = f.name() == null ? "file" : f.name().replaceAll("[\"\\\\\\r\\n]", "_");
                response.getHeaders().put("Content-Disposition", disposition + "; filename*=UTF-8''"
                        + java.net.URLEncoder.encode(filename, StandardCharsets.UTF_8).replace("+", "%20"));
                Content.copy(Content.Source.from(null, f.path()), response, callback);
            } catch (NumberFormatException e) {
                error(response, new FileException(400, "exp must be a number"), callback);
            } catch (FileException e) {
                error(response, e, callback);
            } catch (Exception e) {
                error(response, new FileException(503, "download failed: " + e.getMessage()), callback);
            }
        });
    }

    // ---- who may read what ----

    private void requireAgentMayRead(AgentRecord agent, String key) {
        if (key.startsWith(files.agentPrefix(agent.id()))) {
            return;
        }
        for (String conv : fileStore.conversationsWith(key)) {
            Optional<Conversation> c = store.conversation(conv);
            if (c.isPresent() && agent.maySee(c.get().site())) {
                return;
            }
        }
        throw new FileException(403, "not a file of a conversation you can see");
    }

    private void requireVisitorMayRead(Visitor v, String key) {
        if (key.startsWith(files.visitorPrefix(v.site.key(), v.id))) {
            return;
        }
        for (String conv : fileStore.conversationsWith(key)) {
            Optional<Conversation> c = store.conversation(conv);
            if (c.isPresent() && c.get().site().equals(v.site.key()) && c.get().visitorId().equals(v.id)) {
                return;
            }
        }
        throw new FileException(403, "not a file of your conversations");
    }

    private record Visitor(SiteRecord site, String id) {}

    /**
     * The same checks a visitor's hello passes: site, origin, id form, signed identity, block list.
     * {@code download}: the visitor asks for a file by key (see {@link AuthService#fileReader}).
     */
    private Visitor visitor(String siteKey, String id, String userId, String userHash, boolean download,
                            Request request) {
        SiteRecord site = auth.site(siteKey).orElseThrow(() -> new FileException(404, "unknown site"));
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (!site.origins().isEmpty() && origin != null && !site.origins().contains(origin)) {
            throw new FileException(403, "origin not allowed for this site");
        }
        // A signed-in user's files are its canonical visitor's, whichever device asks.
        AuthService.VisitorCheck check = download ? auth.fileReader(site, id, userId, userHash)
                : auth.visitor(site, id, userId, userHash);
        if (check instanceof AuthService.VisitorCheck.Refused r) {
            throw switch (r.code()) {
                case SERVER_BUSY -> new FileException(503, r.message());
                case IDENTITY_REQUIRED -> new FileException(403, r.code(), r.message());
                default -> new FileException(403, r.message());
            };
        }
        String visitorId = ((AuthService.VisitorCheck.Admitted) check).visitorId();
        String ip = Request.getRemoteAddr(request);
        if (desk.blockFor(site.key(), visitorId, ip).or(() -> desk.blockFor(site.key(), id, ip)).isPresent()) {
            throw new FileException(403, "you cannot use this site");
        }
        return new Visitor(site, visitorId);
    }

    private AgentRecord agent(Request request) {
        String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        String token = header != null && header.startsWith("Bearer ") ? header.substring(7).trim() : null;
        return auth.agentForToken(token).orElseThrow(() -> new FileException(401, "missing, invalid or expired token"));
    }

    private static URI baseUri(Request request) {
        var uri = request.getHttpURI();
        return URI.create(uri.getScheme() + "://" + uri.getAuthority() + "/");
    }

    private static void error(Response response, FileException e, Callback callback) {
        ErrorCode code = e.code() != null ? e.code() : switch (e.status()) {
            case 401 -> ErrorCode.BAD_TOKEN;
            case 403 -> ErrorCode.NOT_ALLOWED;
            case 413 -> ErrorCode.TOO_LARGE;
            case 503 -> ErrorCode.SERVER_BUSY;
            default -> ErrorCode.BAD_FRAME;
        };
        Http.apiError(response, e.status(), code, e.getMessage(), callback);
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    static Path tempDir(Path dataDir) {
        try {
            return Files.createDirectories(dataDir.resolve("tmp"));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot create " + dataDir.resolve("tmp"), e);
        }
    }
}

package dev.kefu.relay.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kefu.protocol.ErrorCode;
import dev.kefu.protocol.Frame;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.protocol.FrameException;
import dev.kefu.relay.auth.AuthService;
import dev.kefu.relay.conversation.ConversationHub;
import dev.kefu.relay.desk.DeskException;
import dev.kefu.relay.desk.DeskService;
import dev.kefu.relay.desk.Statistics;
import dev.kefu.relay.store.AgentRecord;
import dev.kefu.relay.store.BlockRecord;
import dev.kefu.relay.store.ClosedConversation;
import dev.kefu.relay.store.Conversation;
import dev.kefu.relay.store.HistoryStore;
import dev.kefu.relay.store.MessageStore;
import dev.kefu.relay.store.QuickReplyRecord;
import dev.kefu.relay.store.SiteRecord;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

/**
 * The agents' and admins' REST API ({@code Authorization: Bearer TOKEN}): agents, quick replies,
 * block list, search, visitor history, statistics, and site and agent administration. Parses and
 * answers HTTP only; what may be done is decided by {@link DeskService}.
 */
final class ApiHandler {
    private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);
    private static final int MAX_BODY = 64 * 1024;

    private final AuthService auth;
    private final DeskService desk;
    private final Statistics statistics;
    private final MessageStore store;
    private final ConversationHub hub;
    private final ExecutorService workers;

    ApiHandler(AuthService auth, DeskService desk, Statistics statistics, MessageStore store, ConversationHub hub,
               ExecutorService workers) {
        this.auth = auth;
        this.desk = desk;
        this.statistics = statistics;
        this.store = store;
        this.hub = hub;
        this.workers = workers;
    }

    /** Handles {@code /api/...} (login aside); false if no such endpoint. */
    boolean handle(String path, Request request, Response response, Callback callback) {
        String[] p = path.substring("/api/".length()).split("/");
        String method = request.getMethod();
        Content.Source.asByteArrayAsync(request, MAX_BODY + 1).whenComplete((bytes, ex) -> workers.execute(() -> {
            try {
                if (ex != null || bytes.length > MAX_BODY) {
                    throw new DeskException(ErrorCode.TOO_LARGE, 413, "body above " + MAX_BODY + " bytes");
                }
                AgentRecord actor = authenticate(request);
                JsonNode body = bytes.length == 0 ? FrameCodec.mapper().createObjectNode() : parse(bytes);
                Answer a = route(method, p, actor, body, Request.extractQueryParameters(request));
                Http.json(response, a.status, a.json, callback);
            } catch (DeskException e) {
                Http.apiError(response, e.status(), e.code(), e.getMessage(), callback);
            } catch (RuntimeException e) {
                log.error("API {} {} failed", method, path, e);
                Http.apiError(response, 500, ErrorCode.SERVER_BUSY, "internal error; retry", callback);
            }
        }));
        return true;
    }

    private record Answer(int status, String json) {}

    private Answer route(String method, String[] p, AgentRecord actor, JsonNode body, Fields query) {
        String first = p[0];
        switch (first) {
            case "agents" -> {
                requireMethod(method, "GET");
                return ok(FrameCodec.encode(hub.agentListFrame()));
            }
            case "quick-replies" -> {
                if (p.length == 1 && method.equals("GET")) {
                    return ok(quickReplies(desk.quickReplies(actor)));
                }
                if (p.length == 1 && method.equals("POST")) {
                    return new Answer(201, quickReply(desk.saveQuickReply(actor, null, body)).toString());
                }
                if (p.length == 2 && method.equals("PUT")) {
                    return ok(quickReply(desk.saveQuickReply(actor, p[1], body)).toString());
                }
                if (p.length == 2 && method.equals("DELETE")) {
                    desk.deleteQuickReply(actor, p[1]);
                    return ok("{}");
                }
            }
            case "blocks" -> {
                if (p.length == 1 && method.equals("GET")) {
                    ArrayNode items = FrameCodec.mapper().createArrayNode();
                    desk.blocks(actor).forEach(b -> items.add(block(b)));
                    return ok(wrap("items", items));
                }
                if (p.length == 1 && method.equals("POST")) {
                    return new Answer(201, block(desk.block(actor, body)).toString());
                }
                if (p.length == 2 && method.equals("DELETE")) {
                    desk.unblock(actor, p[1]);
                    return ok("{}");
                }
            }
            case "search" -> {
                requireMethod(method, "GET");
                List<HistoryStore.Hit> hits = desk.search(actor, query.getValue("q"), query.getValue("site"),
                        query.getValue("visitor"), query.getValue("agent"), longParam(query, "from"),
                        longParam(query, "to"), Optional.ofNullable(longParam(query, "limit")).orElse(50L).intValue());
                ArrayNode items = FrameCodec.mapper().createArrayNode();
                for (HistoryStore.Hit h : hits) {
                    ObjectNode o = FrameCodec.mapper().valueToTree(hub.msgFrame(h.message(), actor.admin()));
                    o.remove("type");
                    o.put("site", h.site()).put("visitor", h.visitorId()).put("agent", h.agentId());
                    items.add(o);
                }
                return ok(wrap("hits", items));
            }
            case "visitors" -> {
                // /api/visitors/{site}/{visitorId}/conversations?before=CONV_ID&limit=N
                requireMethod(method, "GET");
                if (p.length == 4 && p[3].equals("conversations")) {
                    if (!actor.maySee(p[1])) {
                        throw new DeskException(ErrorCode.NOT_ALLOWED, 403, "not one of your sites: " + p[1]);
                    }
                    return ok(visitorHistory(p[1], p[2], query));
                }
            }
            case "conversations" -> {
                // /api/conversations?changedSince=MS&limit=N
                requireMethod(method, "GET");
                if (p.length == 1) {
                    return ok(closedChanges(actor, query));
                }
            }
            case "stats" -> {
                requireMethod(method, "GET");
                if (!actor.admin()) {
                    throw new DeskException(ErrorCode.NOT_ALLOWED, 403, "statistics are for admins");
                }
                return ok(stats(query));
            }
            case "admin" -> {
                return admin(method, p, actor, body);
            }
            default -> {
            }
        }
        throw new DeskException(ErrorCode.BAD_FRAME, 404, "no such endpoint: " + method + " /api/" + String.join("/", p));
    }

    private Answer admin(String method, String[] p, AgentRecord actor, JsonNode body) {
        if (p.length >= 2 && p[1].equals("sites")) {
            if (p.length == 2 && method.equals("GET")) {
                ArrayNode items = FrameCodec.mapper().createArrayNode();
                desk.sites(actor).forEach(s -> items.add(site(s)));
                return ok(wrap("sites", items));
            }
            if (p.length == 2 && method.equals("POST")) {
                String key = body.path("key").asText(null);
                return new Answer(201, site(desk.saveSite(actor, key, body, true)).toString());
            }
            if (p.length == 3 && method.equals("PUT")) {
                return ok(site(desk.saveSite(actor, p[2], body, false)).toString());
            }
        }
        if (p.length >= 2 && p[1].equals("agents")) {
            if (p.length == 2 && method.equals("GET")) {
                ArrayNode items = FrameCodec.mapper().createArrayNode();
                desk.agents(actor).forEach(a -> items.add(agent(a)));
                return ok(wrap("agents", items));
            }
            if (p.length == 2 && method.equals("POST")) {
                return new Answer(201, agent(desk.saveAgent(actor, null, body)).toString());
            }
            if (p.length == 3 && method.equals("PUT")) {
                return ok(agent(desk.saveAgent(actor, p[2], body)).toString());
            }
        }
        if (!actor.admin()) {
            throw new DeskException(ErrorCode.NOT_ALLOWED, 403, "this is for admins");
        }
        throw new DeskException(ErrorCode.BAD_FRAME, 404, "no such endpoint: " + method + " /api/" + String.join("/", p));
    }

    /** Most conversations in one answer of {@code GET /api/visitors/{site}/{id}/conversations}, and the default. */
    static final int VISITOR_HISTORY_MAX_LIMIT = 100;

    /**
     * A page of a visitor's conversations, newest first; {@code before} (the id of the last
     * conversation of the previous page) pages further back, and {@code more} says whether a next
     * page exists. The cursor is an id, not a time, so conversations created in the same millisecond
     * are neither skipped nor repeated.
     */
    private String visitorHistory(String site, String visitorId, Fields query) {
        long limit = Optional.ofNullable(longParam(query, "limit")).orElse((long) VISITOR_HISTORY_MAX_LIMIT);
        if (limit < 1 || limit > VISITOR_HISTORY_MAX_LIMIT) {
            throw new DeskException(ErrorCode.BAD_FRAME, 400, "limit is 1 to " + VISITOR_HISTORY_MAX_LIMIT);
        }
        String beforeId = query.getValue("before");
        Conversation before = null;
        if (beforeId != null && !beforeId.isEmpty()) {
            before = store.conversation(beforeId)
                    .filter(c -> site.equals(c.site()) && visitorId.equals(c.visitorId()))
                    .orElseThrow(() -> new DeskException(ErrorCode.BAD_FRAME, 400,
                            "before must name a conversation of this visitor: " + beforeId));
        }
        List<Conversation> found = store.visitorHistory(site, visitorId, before, (int) limit + 1);
        ArrayNode items = FrameCodec.mapper().createArrayNode();
        for (Conversation c : found.subList(0, (int) Math.min(limit, found.size()))) {
            items.add(FrameCodec.mapper().<JsonNode>valueToTree(hub.convInfoFor(c)));
        }
        ObjectNode answer = FrameCodec.mapper().createObjectNode();
        answer.set("conversations", items);
        answer.put("more", found.size() > limit);
        return answer.toString();
    }

    /** Most conversations in one answer of {@code GET /api/conversations}, and the default. */
    static final int CHANGES_MAX_LIMIT = 1000;
    static final int CHANGES_DEFAULT_LIMIT = 200;

    /**
     * What an agent who was away missed about conversations that are no longer live (those come with
     * {@code welcome}): the ones it may see closed or rated at or after {@code changedSince}, oldest
     * change first, each with its {@code changedAt}; {@code more} when a next page exists (ask again
     * from the last {@code changedAt}).
     */
    private String closedChanges(AgentRecord actor, Fields query) {
        Long since = longParam(query, "changedSince");
        if (since == null) {
            throw new DeskException(ErrorCode.BAD_FRAME, 400, "changedSince (epoch ms) is required");
        }
        long limit = Optional.ofNullable(longParam(query, "limit")).orElse((long) CHANGES_DEFAULT_LIMIT);
        if (limit < 1 || limit > CHANGES_MAX_LIMIT) {
            throw new DeskException(ErrorCode.BAD_FRAME, 400, "limit is 1 to " + CHANGES_MAX_LIMIT);
        }
        List<ClosedConversation> found = store.closedOrRatedSince(since, actor.sites(), (int) limit + 1);
        ArrayNode items = FrameCodec.mapper().createArrayNode();
        for (ClosedConversation c : found.subList(0, (int) Math.min(limit, found.size()))) {
            ObjectNode o = FrameCodec.mapper().valueToTree(hub.convInfoFor(c.conversation()));
            o.put("changedAt", c.changedAt());
            items.add(o);
        }
        ObjectNode answer = FrameCodec.mapper().createObjectNode();
        answer.set("conversations", items);
        answer.put("more", found.size() > limit);
        return answer.toString();
    }

    private String stats(Fields query) {
        try {
            LocalDate to = query.getValue("to") == null ? LocalDate.now() : LocalDate.parse(query.getValue("to"));
            LocalDate from = query.getValue("from") == null ? to.minusDays(6) : LocalDate.parse(query.getValue("from"));
            ZoneId zone = query.getValue("tz") == null ? ZoneId.systemDefault() : ZoneId.of(query.getValue("tz"));
            if (from.isAfter(to) || from.plusDays(366).isBefore(to)) {
                throw new DeskException(ErrorCode.BAD_FRAME, 400, "from..to must be a range of at most a year");
            }
            ArrayNode rows = FrameCodec.mapper().createArrayNode();
            for (Statistics.Row r : statistics.report(from, to, zone)) {
                ObjectNode o = FrameCodec.mapper().createObjectNode();
                o.put("date", r.date().toString()).put("agentId", r.agentId())
                        .put("agentName", hub.agentDisplayName(r.agentId())).put("conversations", r.conversations())
                        .put("messages", r.messages()).put("firstResponseMedianSec", r.firstResponseMedianSec())
                        .put("firstResponseP90Sec", r.firstResponseP90Sec()).put("ratingAvg", r.ratingAvg())
                        .put("ratings", r.ratings()).put("missed", r.missed());
                rows.add(o);
            }
            return wrap("rows", rows);
        } catch (java.time.DateTimeException e) {
            throw new DeskException(ErrorCode.BAD_FRAME, 400, "dates are YYYY-MM-DD, tz a zone id: " + e.getMessage());
        }
    }

    private AgentRecord authenticate(Request request) {
        String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        String token = header != null && header.startsWith("Bearer ") ? header.substring(7).trim() : null;
        return auth.agentForToken(token).orElseThrow(
                () -> new DeskException(ErrorCode.BAD_TOKEN, 401, "missing, invalid or expired token; log in again"));
    }

    private static JsonNode parse(byte[] bytes) {
        try {
            JsonNode node = FrameCodec.parse(Http.utf8(bytes));
            if (!node.isObject()) {
                throw new DeskException(ErrorCode.BAD_FRAME, 400, "the body is a JSON object");
            }
            return node;
        } catch (FrameException e) {
            throw new DeskException(ErrorCode.BAD_FRAME, 400, e.getMessage());
        }
    }

    private static void requireMethod(String method, String expected) {
        if (!expected.equals(method)) {
            throw new DeskException(ErrorCode.BAD_FRAME, 405, "use " + expected);
        }
    }

    private static Long longParam(Fields query, String name) {
        String v = query.getValue(name);
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new DeskException(ErrorCode.BAD_FRAME, 400, name + " must be a number");
        }
    }

    private static Answer ok(String json) {
        return new Answer(200, json);
    }

    private static String wrap(String field, JsonNode value) {
        ObjectNode o = FrameCodec.mapper().createObjectNode();
        o.set(field, value);
        return o.toString();
    }

    private static String quickReplies(List<QuickReplyRecord> list) {
        ArrayNode items = FrameCodec.mapper().createArrayNode();
        list.forEach(q -> items.add(quickReply(q)));
        return wrap("items", items);
    }

    private static ObjectNode quickReply(QuickReplyRecord q) {
        return FrameCodec.mapper().valueToTree(
                new Frame.QuickReply(q.id(), q.site(), q.isShared(), q.shortcut(), q.text(), q.imageKey()));
    }

    private static ObjectNode block(BlockRecord b) {
        ObjectNode o = FrameCodec.mapper().createObjectNode();
        o.put("id", b.id()).put("site", b.site()).put("visitor", b.visitorId()).put("ip", b.ip())
                .put("reason", b.reason()).put("by", b.byAgent()).put("createdAt", b.createdAt());
        return o;
    }

    private static ObjectNode site(SiteRecord s) {
        ObjectNode o = FrameCodec.mapper().createObjectNode();
        o.put("key", s.key()).put("secret", s.secret()).put("name", s.name()).put("welcome", s.welcome())
                .put("assignment", s.assignment()).put("typingPreview", s.typingPreview())
                .put("autoCloseSec", s.autoCloseSec()).put("createdAt", s.createdAt());
        o.set("origins", FrameCodec.mapper().valueToTree(s.origins()));
        try {
            o.set("businessHours", s.businessHoursJson() == null ? null : FrameCodec.parse(s.businessHoursJson()));
        } catch (FrameException e) {
            o.putNull("businessHours");
        }
        return o;
    }

    private static ObjectNode agent(AgentRecord a) {
        ObjectNode o = FrameCodec.mapper().createObjectNode();
        o.put("id", a.id()).put("username", a.username()).put("name", a.shownName()).put("admin", a.admin())
                .put("disabled", a.disabled()).put("capacity", a.capacity());
        o.set("sites", a.sites() == null ? null : FrameCodec.mapper().valueToTree(a.sites()));
        return o;
    }
}

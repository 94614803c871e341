package dev.kefu.relay.desk;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kefu.protocol.FrameCodec;
import dev.kefu.relay.auth.PasswordHasher;
import dev.kefu.relay.conversation.ConversationHub;
import dev.kefu.relay.queue.BusinessHours;
import dev.kefu.relay.store.AccountStore;
import dev.kefu.relay.store.AgentRecord;
import dev.kefu.relay.store.BlockRecord;
import dev.kefu.relay.store.DeskStore;
import dev.kefu.relay.store.HistoryStore;
import dev.kefu.relay.store.Ids;
import dev.kefu.relay.store.QuickReplyRecord;
import dev.kefu.relay.store.SiteRecord;
import dev.kefu.relay.tracking.VisitorTracker;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What agents and admins do outside a chat: quick replies, the block list, search, and the
 * administration of sites and agents. Every method takes the acting agent and checks what it
 * may do; live connections hear of changes through the {@link ConversationHub}.
 */
public final class DeskService {
    private static final Pattern SITE_KEY = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern USERNAME = Pattern.compile("[\\p{L}\\p{N}._@-]{1,64}");

    private final AccountStore accounts;
    private final DeskStore desk;
    private final HistoryStore history;
    private final ConversationHub hub;
    private final VisitorTracker tracker;
    private final PasswordHasher hasher;

    public DeskService(AccountStore accounts, DeskStore desk, HistoryStore history, ConversationHub hub,
                       VisitorTracker tracker, PasswordHasher hasher) {
        this.accounts = accounts;
        this.desk = desk;
        this.history = history;
        this.hub = hub;
        this.tracker = tracker;
        this.hasher = hasher;
    }

    // ---- quick replies ----

    public List<QuickReplyRecord> quickReplies(AgentRecord actor) {
        return desk.quickRepliesFor(actor.id(), actor.sites());
    }

    /** Creates ({@code id} null) or replaces a quick reply; shared ones are for admins. */
    public QuickReplyRecord saveQuickReply(AgentRecord actor, String id, JsonNode body) {
        String shortcut = text(body, "shortcut", 64, true);
        String text = text(body, "text", 5000, true);
        String imageKey = text(body, "imageKey", 512, false);
        boolean shared = body.path("shared").asBoolean(false);
        String site = text(body, "site", 64, false);
        long now = System.currentTimeMillis();
        QuickReplyRecord existing = null;
        if (id != null) {
            existing = desk.quickReply(id).orElseThrow(() -> DeskException.notFound("no quick reply " + id));
            shared = existing.isShared();
            requireMayEdit(actor, existing);
        }
        if (shared && !actor.admin()) {
            throw DeskException.notAllowed("shared quick replies are for admins");
        }
        if (site != null && !actor.maySee(site)) {
            throw DeskException.notAllowed("not one of your sites: " + site);
        }
        QuickReplyRecord q = new QuickReplyRecord(id != null ? id : Ids.newId("q"), shared ? site : null,
                shared ? null : actor.id(), shortcut.startsWith("/") ? shortcut.substring(1) : shortcut, text, imageKey,
                existing != null ? existing.createdAt() : now, now);
        desk.saveQuickReply(q);
        hub.quickRepliesChanged();
        return q;
    }

    public void deleteQuickReply(AgentRecord actor, String id) {
        QuickReplyRecord q = desk.quickReply(id).orElseThrow(() -> DeskException.notFound("no quick reply " + id));
        requireMayEdit(actor, q);
        desk.deleteQuickReply(id);
        hub.quickRepliesChanged();
    }

    private static void requireMayEdit(AgentRecord actor, QuickReplyRecord q) {
        if (q.isShared() ? !actor.admin() : !q.agentId().equals(actor.id())) {
            throw DeskException.notAllowed(q.isShared() ? "shared quick replies are for admins" : "not your quick reply");
        }
    }

    // ---- block list ----

    public List<BlockRecord> blocks(AgentRecord actor) {
        return desk.blocks().stream().filter(b -> actor.maySee(b.site())).toList();
    }

    /**
     * Blocks a visitor by id, or by address ({@code ip}, or {@code byIp: true} with a visitor online
     * now), and disconnects it.
     */
    public BlockRecord block(AgentRecord actor, JsonNode body) {
        String site = text(body, "site", 64, true);
        if (!actor.maySee(site)) {
            throw DeskException.notAllowed("not one of your sites: " + site);
        }
        String visitor = text(body, "visitor", 64, false);
        String ip = text(body, "ip", 64, false);
        if (ip == null && visitor != null && body.path("byIp").asBoolean(false)) {
            ip = tracker.find(site, visitor).map(v -> v.ip()).orElseThrow(
                    () -> DeskException.badInput("visitor " + visitor + " is not online: give its ip"));
        }
        if (visitor == null && ip == null) {
            throw DeskException.badInput("a block names a visitor or an ip");
        }
        BlockRecord b = new BlockRecord(Ids.newId("b"), site, visitor, ip, text(body, "reason", 500, false), actor.id(),
                System.currentTimeMillis());
        desk.addBlock(b);
        hub.kick(site, visitor, ip);
        return b;
    }

    public void unblock(AgentRecord actor, String id) {
        requireAdmin(actor);
        if (!desk.removeBlock(id)) {
            throw DeskException.notFound("no block " + id);
        }
    }

    // ---- search ----

    public List<HistoryStore.Hit> search(AgentRecord actor, String q, String site, String visitor, String agent,
                                         Long from, Long to, int limit) {
        if (q == null || q.isBlank()) {
            throw DeskException.badInput("q (the text to find) is required");
        }
        if (site != null && !actor.maySee(site)) {
            throw DeskException.notAllowed("not one of your sites: " + site);
        }
        int max = Math.max(1, Math.min(200, limit));
        return history.search(q.strip(), site, visitor, agent, from, to, actor.sites() == null ? max : 1000).stream()
                .filter(h -> actor.maySee(h.site())).limit(max).toList();
    }

    // ---- administration ----

    public List<SiteRecord> sites(AgentRecord actor) {
        requireAdmin(actor);
        return accounts.sites();
    }

    /** Creates ({@code create}) or changes a site; fields left out keep their value. */
    public SiteRecord saveSite(AgentRecord actor, String key, JsonNode body, boolean create) {
        requireAdmin(actor);
        SiteRecord base;
        if (create) {
            if (key == null || !SITE_KEY.matcher(key).matches()) {
                throw DeskException.badInput("key: 1-64 letters, digits, '-' or '_'");
            }
            if (accounts.site(key).isPresent()) {
                throw new DeskException(dev.kefu.protocol.ErrorCode.BAD_FRAME, 409, "site " + key + " exists");
            }
            base = new SiteRecord(key, Ids.random(40), key, List.of(), System.currentTimeMillis());
        } else {
            base = accounts.site(key).orElseThrow(() -> DeskException.notFound("no site " + key));
        }
        String assignment = body.has("assignment") ? body.get("assignment").asText() : base.assignment();
        if (!SiteRecord.ASSIGNMENT_MODES.contains(assignment)) {
            throw DeskException.badInput("assignment is one of " + SiteRecord.ASSIGNMENT_MODES);
        }
        String hours = base.businessHoursJson();
        if (body.has("businessHours")) {
            JsonNode h = body.get("businessHours");
            hours = h.isNull() ? null : h.toString();
            if (hours != null) {
                try {
                    BusinessHours.parse(hours);
                } catch (IllegalArgumentException e) {
                    throw DeskException.badInput(e.getMessage());
                }
            }
        }
        List<String> origins = base.origins();
        if (body.has("origins")) {
            origins = new ArrayList<>();
            for (JsonNode o : body.get("origins")) {
                origins.add(o.asText());
            }
        }
        int autoClose = body.has("autoCloseSec") ? body.get("autoCloseSec").asInt() : base.autoCloseSec();
        if (autoClose < 0) {
            throw DeskException.badInput("autoCloseSec is 0 (never) or more");
        }
        SiteRecord site = new SiteRecord(base.key(), body.has("secret") ? text(body, "secret", 200, true) : base.secret(),
                body.has("name") ? text(body, "name", 200, false) : base.name(), List.copyOf(origins), base.createdAt(),
                body.has("welcome") ? text(body, "welcome", 5000, false) : base.welcome(), assignment,
                body.has("typingPreview") ? body.get("typingPreview").asBoolean() : base.typingPreview(), hours, autoClose);
        if (create) {
            accounts.addSite(site);
        } else {
            accounts.updateSite(site);
        }
        hub.settingsChanged();
        return site;
    }

    public List<AgentRecord> agents(AgentRecord actor) {
        requireAdmin(actor);
        return accounts.agents();
    }

    /** Creates ({@code id} null) or changes an agent; fields left out keep their value. */
    public AgentRecord saveAgent(AgentRecord actor, String id, JsonNode body) {
        requireAdmin(actor);
        AgentRecord base;
        if (id == null) {
            String username = text(body, "username", 64, true);
            if (!USERNAME.matcher(username).matches()) {
                throw DeskException.badInput("username: 1-64 letters, digits, '.', '_', '@' or '-'");
            }
            if (accounts.agentByUsername(username).isPresent()) {
                throw new DeskException(dev.kefu.protocol.ErrorCode.BAD_FRAME, 409, "username " + username + " is taken");
            }
            if (!body.has("password")) {
                throw DeskException.badInput("password is required");
            }
            base = new AgentRecord(Ids.newId("a"), username, null, null, false, false, null, System.currentTimeMillis());
        } else {
            base = accounts.agent(id).orElseThrow(() -> DeskException.notFound("no agent " + id));
        }
        String hash = base.passwordHash();
        if (body.has("password")) {
            String password = text(body, "password", 200, true);
            if (password.length() < 8) {
                throw DeskException.badInput("a password has at least 8 characters");
            }
            hash = hasher.hash(password);
        }
        List<String> sites = base.sites();
        if (body.has("sites")) {
            if (body.get("sites").isNull()) {
                sites = null;
            } else {
                sites = new ArrayList<>();
                for (JsonNode s : body.get("sites")) {
                    sites.add(s.asText());
                }
            }
        }
        int capacity = body.has("capacity") ? body.get("capacity").asInt() : base.capacity();
        if (capacity < 0 || capacity > 1000) {
            throw DeskException.badInput("capacity is 0 to 1000");
        }
        AgentRecord a = new AgentRecord(base.id(), base.username(),
                body.has("name") ? text(body, "name", 200, false) : base.displayName(), hash,
                body.has("admin") ? body.get("admin").asBoolean() : base.admin(),
                body.has("disabled") ? body.get("disabled").asBoolean() : base.disabled(),
                sites == null ? null : List.copyOf(sites), base.createdAt(), capacity);
        if (id == null) {
            accounts.addAgent(a);
        } else {
            accounts.updateAgent(a);
        }
        if (a.disabled()) {
            hub.kickAgent(a.id());
        }
        hub.settingsChanged();
        return a;
    }

    public Optional<AgentRecord> agent(String id) {
        return accounts.agent(id);
    }

    static void requireAdmin(AgentRecord actor) {
        if (!actor.admin()) {
            throw DeskException.notAllowed("this is for admins");
        }
    }

    /** A string field, trimmed to null when blank; refused when required and missing, or too long. */
    private static String text(JsonNode body, String field, int max, boolean required) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull() || (v.isTextual() && v.asText().isBlank())) {
            if (required) {
                throw DeskException.badInput(field + " is required");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw DeskException.badInput(field + " must be a string");
        }
        String s = v.asText().strip();
        if (s.codePointCount(0, s.length()) > max) {
            throw DeskException.badInput(field + " is longer than " + max + " characters");
        }
        return s;
    }

    static String json(Object value) {
        try {
            return FrameCodec.mapper().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

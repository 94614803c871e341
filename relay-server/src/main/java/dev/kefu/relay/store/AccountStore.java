package dev.kefu.relay.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Sites, agents and relay settings. Few and rarely written (by the admin CLI or API, or by the
 * relay at first start): writes wait for their commit ({@link SqliteDatabase#writeNow}). The CLI
 * may run beside a live relay; SQLite's busy timeout serialises the two processes.
 */
public final class AccountStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
    private static final String SITE_COLUMNS = "key, secret, name, origins, created_at, welcome, assignment, "
            + "typing_preview, business_hours, auto_close_sec";
    private static final String AGENT_COLUMNS =
            "id, username, display_name, password_hash, admin, disabled, sites, created_at, capacity";

    /**
     * How long a read of sites and agents is reused. Every message that may open a conversation
     * reads its site; the admin CLI may change a site from another process, which this relay then
     * sees within this time (its own writes clear the cache at once).
     */
    static final long CACHE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final SqliteDatabase db;
    private final Map<String, Cached<Optional<SiteRecord>>> siteCache = new ConcurrentHashMap<>();
    private volatile Cached<List<SiteRecord>> sitesCache;
    private volatile Cached<List<AgentRecord>> agentsCache;

    public AccountStore(SqliteDatabase db) {
        this.db = db;
    }

    private record Cached<T>(T value, long readAtNanos) {
        static <T> Cached<T> now(T value) {
            return new Cached<>(value, System.nanoTime());
        }

        boolean fresh() {
            return System.nanoTime() - readAtNanos < CACHE_NANOS;
        }
    }

    private void forgetCached() {
        siteCache.clear();
        sitesCache = null;
        agentsCache = null;
    }

    // ---- sites ----

    public Optional<SiteRecord> site(String key) {
        Cached<Optional<SiteRecord>> hit = siteCache.get(key);
        if (hit != null && hit.fresh()) {
            return hit.value();
        }
        if (siteCache.size() > 10_000) {
            siteCache.clear(); // unknown keys from strangers must not grow it without bound
        }
        Optional<SiteRecord> read = readSite(key);
        siteCache.put(key, Cached.now(read));
        return read;
    }

    private Optional<SiteRecord> readSite(String key) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + SITE_COLUMNS + " FROM sites WHERE key = ?")) {
                ps.setString(1, key);
                List<SiteRecord> found = sites(ps);
                return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
            }
        });
    }

    public List<SiteRecord> sites() {
        Cached<List<SiteRecord>> hit = sitesCache;
        if (hit != null && hit.fresh()) {
            return hit.value();
        }
        List<SiteRecord> read = readSites();
        sitesCache = Cached.now(read);
        return read;
    }

    private List<SiteRecord> readSites() {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + SITE_COLUMNS + " FROM sites ORDER BY key")) {
                return sites(ps);
            }
        });
    }

    /** Adds a site; false if one with this key exists already. */
    public boolean addSite(SiteRecord site) {
        return write(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO sites (" + SITE_COLUMNS + ") "
                    + "VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (key) DO NOTHING")) {
                bindSite(ps, site);
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** Replaces every setting of an existing site (not its key or creation time); false if there is none. */
    public boolean updateSite(SiteRecord site) {
        return write(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE sites SET secret = ?, name = ?, origins = ?, "
                    + "welcome = ?, assignment = ?, typing_preview = ?, business_hours = ?, auto_close_sec = ? "
                    + "WHERE key = ?")) {
                ps.setString(1, site.secret());
                ps.setString(2, site.name());
                ps.setString(3, toJson(site.origins()));
                ps.setString(4, site.welcome());
                ps.setString(5, site.assignment());
                ps.setInt(6, site.typingPreview() ? 1 : 0);
                ps.setString(7, site.businessHoursJson());
                ps.setInt(8, site.autoCloseSec());
                ps.setString(9, site.key());
                return ps.executeUpdate() == 1;
            }
        });
    }

    private static void bindSite(PreparedStatement ps, SiteRecord s) throws SQLException {
        ps.setString(1, s.key());
        ps.setString(2, s.secret());
        ps.setString(3, s.name());
        ps.setString(4, toJson(s.origins()));
        ps.setLong(5, s.createdAt());
        ps.setString(6, s.welcome());
        ps.setString(7, s.assignment());
        ps.setInt(8, s.typingPreview() ? 1 : 0);
        ps.setString(9, s.businessHoursJson());
        ps.setInt(10, s.autoCloseSec());
    }

    // ---- agents ----

    public Optional<AgentRecord> agent(String id) {
        return findAgent("id", id);
    }

    public Optional<AgentRecord> agentByUsername(String username) {
        return findAgent("username", username);
    }

    private Optional<AgentRecord> findAgent(String column, String value) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT " + AGENT_COLUMNS + " FROM agents WHERE " + column + " = ?")) {
                ps.setString(1, value);
                List<AgentRecord> found = agents(ps);
                return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
            }
        });
    }

    public List<AgentRecord> agents() {
        Cached<List<AgentRecord>> hit = agentsCache;
        if (hit != null && hit.fresh()) {
            return hit.value();
        }
        List<AgentRecord> read = readAgents();
        agentsCache = Cached.now(read);
        return read;
    }

    private List<AgentRecord> readAgents() {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + AGENT_COLUMNS + " FROM agents ORDER BY username")) {
                return agents(ps);
            }
        });
    }

    /** Adds an agent; false if the username is taken. */
    public boolean addAgent(AgentRecord a) {
        return write(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO agents (" + AGENT_COLUMNS
                    + ") VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (username) DO NOTHING")) {
                ps.setString(1, a.id());
                ps.setString(2, a.username());
                ps.setString(3, a.displayName());
                ps.setString(4, a.passwordHash());
                ps.setInt(5, a.admin() ? 1 : 0);
                ps.setInt(6, a.disabled() ? 1 : 0);
                ps.setString(7, a.sites() == null ? null : toJson(a.sites()));
                ps.setLong(8, a.createdAt());
                ps.setInt(9, a.capacity());
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** Replaces an agent's display name, password hash, roles, sites and capacity; false if there is none. */
    public boolean updateAgent(AgentRecord a) {
        return write(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE agents SET display_name = ?, password_hash = ?, "
                    + "admin = ?, disabled = ?, sites = ?, capacity = ? WHERE id = ?")) {
                ps.setString(1, a.displayName());
                ps.setString(2, a.passwordHash());
                ps.setInt(3, a.admin() ? 1 : 0);
                ps.setInt(4, a.disabled() ? 1 : 0);
                ps.setString(5, a.sites() == null ? null : toJson(a.sites()));
                ps.setInt(6, a.capacity());
                ps.setString(7, a.id());
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** Sets an agent's password hash; false if there is no such username. */
    public boolean setPasswordHash(String username, String hash) {
        return write(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE agents SET password_hash = ? WHERE username = ?")) {
                ps.setString(1, hash);
                ps.setString(2, username);
                return ps.executeUpdate() == 1;
            }
        });
    }

    // ---- settings ----

    /**
     * The settings key of the store's epoch: made once with the store, replaced only when the store
     * is restored from a backup, sent to clients in {@code welcome.epoch}.
     */
    public static final String EPOCH = "epoch";

    public Optional<String> setting(String key) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT v FROM settings WHERE k = ?")) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
                }
            }
        });
    }

    /** Stores {@code value} under {@code key} unless a value is there already; returns the value in force. */
    public String settingIfAbsent(String key, String value) {
        write(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO settings (k, v) VALUES (?,?) ON CONFLICT (k) DO NOTHING")) {
                ps.setString(1, key);
                ps.setString(2, value);
                return ps.executeUpdate();
            }
        });
        return setting(key).orElseThrow();
    }

    /** Stores {@code value} under {@code key}, replacing any value there. */
    public void putSetting(String key, String value) {
        write(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO settings (k, v) VALUES (?,?) ON CONFLICT (k) DO UPDATE SET v = excluded.v")) {
                ps.setString(1, key);
                ps.setString(2, value);
                return ps.executeUpdate();
            }
        });
    }

    // ---- plumbing ----

    /** Account writes are rare: they wait for their commit (see {@link SqliteDatabase#writeNow}). */
    private <T> T write(SqliteDatabase.SqlFunction<T> work) {
        try {
            return db.writeNow(work);
        } finally {
            forgetCached();
        }
    }

    private static List<SiteRecord> sites(PreparedStatement ps) throws SQLException {
        List<SiteRecord> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new SiteRecord(rs.getString(1), rs.getString(2), rs.getString(3), fromJson(rs.getString(4)),
                        rs.getLong(5), rs.getString(6), rs.getString(7), rs.getInt(8) != 0, rs.getString(9),
                        rs.getInt(10)));
            }
        }
        return out;
    }

    private static List<AgentRecord> agents(PreparedStatement ps) throws SQLException {
        List<AgentRecord> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new AgentRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getInt(5) != 0, rs.getInt(6) != 0, fromJson(rs.getString(7)), rs.getLong(8), rs.getInt(9)));
            }
        }
        return out;
    }

    static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value == null ? List.of() : value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> fromJson(String json) {
        if (json == null) {
            return null;
        }
        try {
            return List.copyOf(JSON.readValue(json, STRINGS));
        } catch (JsonProcessingException e) {
            throw new StoreException("corrupt JSON list in the database: " + json, e);
        }
    }
}

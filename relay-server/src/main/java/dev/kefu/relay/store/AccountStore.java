package dev.kefu.relay.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Sites, agents and relay settings. Few and rarely written (by the admin CLI, or by the relay
 * at first start), so writes go straight to the writer connection; the CLI may run beside a live
 * relay, which SQLite's busy timeout serialises.
 */
public final class AccountStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
    private static final String AGENT_COLUMNS =
            "id, username, display_name, password_hash, admin, disabled, sites, created_at";

    private final SqliteDatabase db;

    public AccountStore(SqliteDatabase db) {
        this.db = db;
    }

    // ---- sites ----

    public Optional<SiteRecord> site(String key) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT key, secret, name, origins, created_at FROM sites WHERE key = ?")) {
                ps.setString(1, key);
                List<SiteRecord> found = sites(ps);
                return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
            }
        });
    }

    public List<SiteRecord> sites() {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT key, secret, name, origins, created_at FROM sites ORDER BY key")) {
                return sites(ps);
            }
        });
    }

    /** Adds a site; false if one with this key exists already. */
    public synchronized boolean addSite(SiteRecord site) {
        return write(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO sites (key, secret, name, origins, created_at) "
                    + "VALUES (?,?,?,?,?) ON CONFLICT (key) DO NOTHING")) {
                ps.setString(1, site.key());
                ps.setString(2, site.secret());
                ps.setString(3, site.name());
                ps.setString(4, toJson(site.origins()));
                ps.setLong(5, site.createdAt());
                return ps.executeUpdate() == 1;
            }
        });
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
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + AGENT_COLUMNS + " FROM agents ORDER BY username")) {
                return agents(ps);
            }
        });
    }

    /** Adds an agent; false if the username is taken. */
    public synchronized boolean addAgent(AgentRecord a) {
        return write(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO agents (" + AGENT_COLUMNS
                    + ") VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (username) DO NOTHING")) {
                ps.setString(1, a.id());
                ps.setString(2, a.username());
                ps.setString(3, a.displayName());
                ps.setString(4, a.passwordHash());
                ps.setInt(5, a.admin() ? 1 : 0);
                ps.setInt(6, a.disabled() ? 1 : 0);
                ps.setString(7, a.sites() == null ? null : toJson(a.sites()));
                ps.setLong(8, a.createdAt());
                return ps.executeUpdate() == 1;
            }
        });
    }

    /** Sets an agent's password hash; false if there is no such username. */
    public synchronized boolean setPasswordHash(String username, String hash) {
        return write(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE agents SET password_hash = ? WHERE username = ?")) {
                ps.setString(1, hash);
                ps.setString(2, username);
                return ps.executeUpdate() == 1;
            }
        });
    }

    // ---- settings ----

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
    public synchronized String settingIfAbsent(String key, String value) {
        write(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO settings (k, v) VALUES (?,?) ON CONFLICT (k) DO NOTHING")) {
                ps.setString(1, key);
                ps.setString(2, value);
                return ps.executeUpdate();
            }
        });
        return setting(key).orElseThrow();
    }

    // ---- plumbing ----

    /**
     * Runs a write on the writer connection. The relay's group-commit writer owns that connection
     * while serving, so writes here are for set-up before serving and for the CLI (its own process).
     */
    private <T> T write(SqliteDatabase.SqlFunction<T> work) {
        Connection c = db.writer();
        synchronized (c) {
            try {
                return work.apply(c);
            } catch (SQLException e) {
                throw new StoreException("write failed: " + e.getMessage(), e);
            }
        }
    }

    private static List<SiteRecord> sites(PreparedStatement ps) throws SQLException {
        List<SiteRecord> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new SiteRecord(rs.getString(1), rs.getString(2), rs.getString(3),
                        fromJson(rs.getString(4)), rs.getLong(5)));
            }
        }
        return out;
    }

    private static List<AgentRecord> agents(PreparedStatement ps) throws SQLException {
        List<AgentRecord> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new AgentRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getInt(5) != 0, rs.getInt(6) != 0, fromJson(rs.getString(7)), rs.getLong(8)));
            }
        }
        return out;
    }

    private static String toJson(List<String> list) {
        try {
            return JSON.writeValueAsString(list == null ? List.of() : list);
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

package dev.kefu.agent.cache;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A thin JDBC helper around one connection: prepared statements kept per SQL text, nested
 * transactions (only the outermost commits). Not thread-safe: its owner serialises access.
 */
final class Sql implements AutoCloseable {
    @FunctionalInterface
    interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private final Connection db;
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    private int depth;

    Sql(Connection db) {
        this.db = db;
    }

    <T> T transaction(Supplier<T> work) {
        try {
            if (depth++ == 0) {
                db.setAutoCommit(false);
            }
            boolean ok = false;
            try {
                T result = work.get();
                ok = true;
                return result;
            } finally {
                if (--depth == 0) {
                    if (ok) {
                        db.commit();
                    } else {
                        db.rollback();
                    }
                    db.setAutoCommit(true);
                }
            }
        } catch (SQLException e) {
            throw new CacheException("transaction failed: " + e.getMessage(), e);
        }
    }

    int update(String sql, Object... args) {
        try {
            return bind(sql, args).executeUpdate();
        } catch (SQLException e) {
            throw new CacheException(sql + ": " + e.getMessage(), e);
        }
    }

    /** Runs an INSERT and returns the new row id. */
    long insert(String sql, Object... args) {
        update(sql, args);
        return queryOne("SELECT last_insert_rowid()", rs -> rs.getLong(1)).orElseThrow();
    }

    <T> List<T> query(String sql, RowMapper<T> mapper, Object... args) {
        try (ResultSet rs = bind(sql, args).executeQuery()) {
            List<T> out = new ArrayList<>();
            while (rs.next()) {
                out.add(mapper.map(rs));
            }
            return out;
        } catch (SQLException e) {
            throw new CacheException(sql + ": " + e.getMessage(), e);
        }
    }

    <T> Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... args) {
        List<T> rows = query(sql, mapper, args);
        return rows.isEmpty() ? Optional.empty() : Optional.ofNullable(rows.get(0));
    }

    long queryLong(String sql, Object... args) {
        return queryOne(sql, rs -> rs.getLong(1), args).orElse(0L);
    }

    private PreparedStatement bind(String sql, Object... args) throws SQLException {
        PreparedStatement ps = statements.get(sql);
        if (ps == null) {
            ps = db.prepareStatement(sql);
            statements.put(sql, ps);
        }
        ps.clearParameters();
        for (int i = 0; i < args.length; i++) {
            ps.setObject(i + 1, args[i]);
        }
        return ps;
    }

    @Override
    public void close() {
        try {
            for (PreparedStatement ps : statements.values()) {
                ps.close();
            }
            statements.clear();
            db.close();
        } catch (SQLException e) {
            throw new CacheException("closing failed: " + e.getMessage(), e);
        }
    }
}

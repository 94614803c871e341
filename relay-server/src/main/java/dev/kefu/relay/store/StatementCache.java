package dev.kefu.relay.store;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.HashMap;
import java.util.Map;

/**
 * The writer connection with its prepared statements kept: SQLite compiles each statement on
 * prepare (tens of microseconds each, several per append), and the writer runs the same few
 * statements all day. A cached statement's close() only clears its parameters. For the single
 * writer thread only: not thread-safe.
 */
final class StatementCache {
    private StatementCache() {}

    static Connection wrap(Connection c) {
        Map<String, PreparedStatement> cache = new HashMap<>();
        return (Connection) Proxy.newProxyInstance(StatementCache.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, m, args) -> {
                    if (m.getName().equals("prepareStatement") && args != null && args.length == 1) {
                        String sql = (String) args[0];
                        PreparedStatement ps = cache.get(sql);
                        if (ps == null || ps.isClosed()) {
                            ps = c.prepareStatement(sql);
                            cache.put(sql, ps);
                        }
                        return keepOpen(ps);
                    }
                    try {
                        return m.invoke(c, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static PreparedStatement keepOpen(PreparedStatement real) {
        return (PreparedStatement) Proxy.newProxyInstance(StatementCache.class.getClassLoader(),
                new Class<?>[] {PreparedStatement.class}, (proxy, m, args) -> {
                    if (m.getName().equals("close") && (args == null || args.length == 0)) {
                        real.clearParameters();
                        return null;
                    }
                    try {
                        return m.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}

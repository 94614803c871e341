package dev.kefu.agent.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Opens one SQLite file for the app: WAL journal, {@code synchronous=NORMAL} (a commit survives a
 * crash of the app; the relay holds the durable copy of every acked message anyway), and the schema
 * applied in steps numbered by {@code PRAGMA user_version}. The file is made readable by its owner
 * only where the file system allows: it holds the agent's token and chat history.
 */
final class SqliteFile {
    private SqliteFile() {}

    /** Opens (creating if needed) {@code file}; {@code migrations.get(i)} takes the schema from version i to i+1. */
    static Connection open(Path file, List<String> migrations) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            boolean created = !Files.exists(file);
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            if (created) {
                restrictToOwner(file);
            }
            try (Statement st = c.createStatement()) {
                st.execute("PRAGMA journal_mode=WAL");
                st.execute("PRAGMA synchronous=NORMAL");
                st.execute("PRAGMA busy_timeout=5000");
                st.execute("PRAGMA foreign_keys=ON");
                int version;
                try (var rs = st.executeQuery("PRAGMA user_version")) {
                    version = rs.next() ? rs.getInt(1) : 0;
                }
                for (int v = version; v < migrations.size(); v++) {
                    c.setAutoCommit(false);
                    for (String sql : migrations.get(v).split(";\\s*\\n")) {
                        if (!sql.isBlank()) {
                            st.execute(sql);
                        }
                    }
                    st.execute("PRAGMA user_version=" + (v + 1));
                    c.commit();
                    c.setAutoCommit(true);
                }
            }
            return c;
        } catch (SQLException e) {
            throw new CacheException("cannot open " + file + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void restrictToOwner(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system (Windows keeps %APPDATA% per user already)
        }
    }
}

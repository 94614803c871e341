package dev.kefu.agent;

import java.nio.file.Path;
import java.util.Locale;

/** The per-user folder for the cache and settings when {@code --data} is not given. */
final class DataFolder {
    private DataFolder() {}

    static Path defaultDir() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String home = System.getProperty("user.home");
        if (os.contains("win")) {
            String appData = System.getenv("APPDATA");
            return Path.of(appData != null ? appData : home, "Kefu Agent");
        }
        if (os.contains("mac")) {
            return Path.of(home, "Library", "Application Support", "Kefu Agent");
        }
        String xdg = System.getenv("XDG_DATA_HOME");
        return xdg != null && !xdg.isBlank() ? Path.of(xdg, "kefu-agent") : Path.of(home, ".local", "share", "kefu-agent");
    }
}

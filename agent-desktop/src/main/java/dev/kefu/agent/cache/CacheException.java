package dev.kefu.agent.cache;

/** The local SQLite cache failed (disk full, file locked by another copy of the app, corruption). */
public final class CacheException extends RuntimeException {
    public CacheException(String message, Throwable cause) {
        super(message, cause);
    }
}

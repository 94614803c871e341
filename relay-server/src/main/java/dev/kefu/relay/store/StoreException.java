package dev.kefu.relay.store;

/** The store could not do what was asked (I/O, a full disk, a corrupt file). Callers answer {@code server_busy}. */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String message) {
        super(message);
    }
}

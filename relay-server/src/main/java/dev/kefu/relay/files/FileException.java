package dev.kefu.relay.files;

/** A refused file operation, with the HTTP status to answer (400 bad input, 403 not allowed, 413 too large, 415 type, 503 storage down). */
public final class FileException extends RuntimeException {
    private final int status;

    public FileException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }
}

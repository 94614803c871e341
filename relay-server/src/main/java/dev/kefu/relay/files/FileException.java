package dev.kefu.relay.files;

import dev.kefu.protocol.ErrorCode;

/**
 * A refused file operation, with the HTTP status to answer (400 bad input, 403 not allowed, 413 too
 * large, 415 type, 503 storage down) and, when the status alone does not say it, the error code.
 */
public final class FileException extends RuntimeException {
    private final int status;
    private final ErrorCode code;

    public FileException(int status, String message) {
        this(status, null, message);
    }

    /** {@code code} null: the one the status implies. */
    public FileException(int status, ErrorCode code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    /** The error code to answer, or null for the one {@link #status()} implies. */
    public ErrorCode code() {
        return code;
    }
}

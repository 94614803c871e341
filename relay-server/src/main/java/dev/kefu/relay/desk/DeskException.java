package dev.kefu.relay.desk;

import dev.kefu.protocol.ErrorCode;

/** A refused desk or admin request: the stable code and the HTTP status to answer with. */
public final class DeskException extends RuntimeException {
    private final ErrorCode code;
    private final int status;

    public DeskException(ErrorCode code, int status, String message) {
        super(message, null, false, false);
        this.code = code;
        this.status = status;
    }

    public ErrorCode code() {
        return code;
    }

    public int status() {
        return status;
    }

    static DeskException notAllowed(String message) {
        return new DeskException(ErrorCode.NOT_ALLOWED, 403, message);
    }

    static DeskException badInput(String message) {
        return new DeskException(ErrorCode.BAD_FRAME, 400, message);
    }

    static DeskException notFound(String message) {
        return new DeskException(ErrorCode.UNKNOWN_CONV, 404, message);
    }
}

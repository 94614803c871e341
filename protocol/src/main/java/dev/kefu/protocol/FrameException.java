package dev.kefu.protocol;

/**
 * A frame that could not be read, with the {@link ErrorCode} the relay answers it with.
 * <pre>{@code
 * try { frame = FrameCodec.decode(text); }
 * catch (FrameException e) { reply(Frame.Error.of(e.code(), e.getMessage())); }
 * }</pre>
 */
public final class FrameException extends Exception {
    private final ErrorCode code;

    public FrameException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}

package dev.kefu.protocol;

/**
 * WebSocket close codes the relay uses, and which of them mean "reconnect". A client reconnects
 * (with backoff, jitter and {@code resume}) after every close except {@link #POLICY_VIOLATION},
 * which follows a final error such as {@code bad_token}: fix the input first.
 *
 * <pre>{@code if (CloseCodes.shouldReconnect(status)) scheduleReconnect();}</pre>
 */
public final class CloseCodes {
    /** Normal end, e.g. the client logged out. */
    public static final int NORMAL = 1000;
    /** The relay is shutting down or the peer was silent too long: reconnect. */
    public static final int GOING_AWAY = 1001;
    /** A final protocol error (see {@link ErrorCode#closes()}): do not retry as-is. */
    public static final int POLICY_VIOLATION = 1008;
    /** A frame above {@link Limits#MAX_FRAME_BYTES}: reconnect, without that frame. */
    public static final int TOO_LARGE = 1009;
    /** The relay is restarting (graceful shutdown): reconnect. */
    public static final int SERVICE_RESTART = 1012;
    /** The relay is overloaded: reconnect later. */
    public static final int TRY_AGAIN_LATER = 1013;

    private CloseCodes() {}

    /** Whether a client should reconnect after a close with this code. */
    public static boolean shouldReconnect(int code) {
        return code != POLICY_VIOLATION;
    }
}

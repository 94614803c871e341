package dev.kefu.protocol;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every {@code error.code} the relay sends, with its stable wire name and what a client should do.
 * Codes marked {@code closes} are followed by the relay closing the connection with
 * {@link CloseCodes#POLICY_VIOLATION} (or {@link CloseCodes#TOO_LARGE}); a client must not simply
 * reconnect with the same input. All others leave the connection open.
 *
 * <pre>{@code
 * ErrorCode code = ErrorCode.fromWire(frame.code());
 * if (code == ErrorCode.UNKNOWN_SESSION) reopenWithResume();
 * }</pre>
 */
public enum ErrorCode {
    /** The first frame was not {@code hello}. Closes. */
    HELLO_REQUIRED("hello_required", true),
    /** An agent's token is missing, malformed, forged or expired: log in again. Closes. */
    BAD_TOKEN("bad_token", true),
    /** A visitor's {@code userHash} does not match {@code userId} under the site secret, or its id is malformed. Closes. */
    BAD_IDENTITY("bad_identity", true),
    /**
     * The visitor id belongs to a signed-in user (it was used with a signed {@code userId}) and the
     * hello did not sign that user in: its history is not shown. Make a new id and connect again
     * anonymously (the user logged out on a shared computer). Closes.
     */
    IDENTITY_REQUIRED("identity_required", true),
    /** The visitor's {@code site} key is not known to the relay. Closes. */
    UNKNOWN_SITE("unknown_site", true),
    /** Not valid JSON, a missing or mistyped field, or a frame out of order (a second hello). */
    BAD_FRAME("bad_frame", false),
    /** A frame above 64 KiB (closes, code 1009) or a body above 5,000 characters (stays open). */
    TOO_LARGE("too_large", false),
    /** Too many frames per second on this connection; the frame was dropped. Retry later. */
    RATE_LIMITED("rate_limited", false),
    /** The sender may not do this (an agent operation from a visitor, an origin not allowed...). */
    NOT_ALLOWED("not_allowed", false),
    /** No such conversation, or not one this client may see. */
    UNKNOWN_CONV("unknown_conv", false),
    /** The conversation is closed; a visitor sends without {@code conv} to open a new one. */
    CONV_CLOSED("conv_closed", false),
    /** The frame's {@code type} is not one the relay knows. */
    UNKNOWN_TYPE("unknown_type", false),
    /** Long-poll only: the {@code lp} session is unknown or expired; open again with hello and resume. */
    UNKNOWN_SESSION("unknown_session", false),
    /** The relay could not store the frame now (overload, disk); retry with backoff, same cid. */
    SERVER_BUSY("server_busy", false);

    private static final Map<String, ErrorCode> BY_WIRE = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(ErrorCode::wire, Function.identity()));

    private final String wire;
    private final boolean closes;

    ErrorCode(String wire, boolean closes) {
        this.wire = wire;
        this.closes = closes;
    }

    /** The name used on the wire, e.g. {@code "conv_closed"}. */
    public String wire() {
        return wire;
    }

    /** Whether the relay closes the connection after sending this code. */
    public boolean closes() {
        return closes;
    }

    /** The code for a wire name, or null when the name is not known (a newer relay). */
    public static ErrorCode fromWire(String wire) {
        return BY_WIRE.get(wire);
    }
}

package dev.kefu.protocol;

/**
 * Sizes every client and the relay agree on.
 * <pre>{@code if (text.codePointCount(0, text.length()) > Limits.MAX_BODY_CHARS) warnUser();}</pre>
 */
public final class Limits {
    /** Largest frame, in bytes of UTF-8 JSON. Larger ones get {@code too_large} (WebSocket close 1009). */
    public static final int MAX_FRAME_BYTES = 64 * 1024;
    /**
     * Largest {@code hello} (a Kefu addition to the contract's 64 KiB): an agent's {@code resume} names
     * every conversation it holds, about 40 bytes each, so a desk with thousands of live chats needs more
     * than one ordinary frame.
     */
    public static final int MAX_HELLO_BYTES = 1024 * 1024;
    /** Longest message {@code body}, in Unicode code points (an emoji counts as one). */
    public static final int MAX_BODY_CHARS = 5000;
    /** Default and largest {@code limit} of a {@code sync}. */
    public static final int DEFAULT_SYNC_LIMIT = 50;
    public static final int MAX_SYNC_LIMIT = 500;
    /** Longest {@code cid}, in characters. */
    public static final int MAX_CID_CHARS = 128;

    private Limits() {}
}

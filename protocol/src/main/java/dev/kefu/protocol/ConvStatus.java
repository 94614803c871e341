package dev.kefu.protocol;

/**
 * The states of a conversation: {@code waiting} (no agent yet), {@code open} (an agent has it),
 * {@code closed} (ended; sends are refused with {@code conv_closed}), and {@code offline} (a message
 * left for later).
 * <pre>{@code boolean live = !ConvStatus.CLOSED.equals(c.status());}</pre>
 */
public final class ConvStatus {
    public static final String WAITING = "waiting";
    public static final String OPEN = "open";
    public static final String CLOSED = "closed";
    /**
     * A message left while nobody could answer (no agent online, or outside business hours);
     * agents see it and answer when they come online, which opens it.
     */
    public static final String OFFLINE = "offline";

    private ConvStatus() {}
}

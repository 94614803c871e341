package dev.kefu.relay.queue;

/**
 * Whether a site can answer visitors now. When not, {@code reason} is {@link #NO_AGENTS} or
 * {@link #CLOSED} and new conversations are stored as offline messages.
 */
public record ServiceState(boolean online, String reason) {
    public static final String NO_AGENTS = "no_agents";
    public static final String CLOSED = "closed";
    public static final ServiceState ONLINE = new ServiceState(true, null);
}

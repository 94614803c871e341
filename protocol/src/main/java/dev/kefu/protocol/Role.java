package dev.kefu.protocol;

/**
 * The roles a party can have on the wire ({@code hello.role}, {@code from.role}).
 * <pre>{@code if (Role.AGENT.equals(msg.from().role())) bubble.alignLeft();}</pre>
 */
public final class Role {
    public static final String VISITOR = "visitor";
    public static final String AGENT = "agent";
    /** Messages the relay itself writes into a conversation (none in protocol version 1). */
    public static final String SYSTEM = "system";

    private Role() {}
}

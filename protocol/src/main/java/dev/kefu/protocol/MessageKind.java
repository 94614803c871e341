package dev.kefu.protocol;

import java.util.Set;

/**
 * The values of a message's {@code kind}. {@code image} and {@code file} carry a {@link Frame.FileRef}.
 * <pre>{@code if (!MessageKind.ALL.contains(send.kind())) refuse();}</pre>
 */
public final class MessageKind {
    public static final String TEXT = "text";
    public static final String IMAGE = "image";
    public static final String FILE = "file";
    /** An internal note (agents only; stored apart from messages, see {@link Frame.Note}). */
    public static final String NOTE = "note";
    /** Kinds of messages that reach every participant. */
    public static final Set<String> ALL = Set.of(TEXT, IMAGE, FILE);

    private MessageKind() {}
}

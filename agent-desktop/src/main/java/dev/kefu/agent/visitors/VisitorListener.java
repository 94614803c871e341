package dev.kefu.agent.visitors;

import dev.kefu.protocol.Frame;

import java.util.List;

/** What {@link VisitorService} tells its listeners, on the service thread, after the cache took it. */
public interface VisitorListener {

    /** The whole list of who is online now (after each welcome, and empty when the connection is lost). */
    default void visitorsReset(List<Frame.VisitorPresence> online) { }

    /** One visitor came online, moved to another page ({@code event} {@code page}) or left ({@code offline}). */
    default void visitorChanged(String event, Frame.VisitorPresence visitor) { }
}

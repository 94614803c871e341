package dev.kefu.agent.visitors;

import dev.kefu.agent.cache.CachedVisitor;
import dev.kefu.agent.cache.Conversation;
import dev.kefu.agent.cache.PageVisit;

import java.util.List;

/**
 * Everything known about one visitor, for the visitor panel.
 *
 * @param visitor       what the relay last said of it; null when never seen online by this app
 * @param online        browsing right now
 * @param device        browser and system from the user agent, e.g. "Chrome 120 · Windows"; null when unknown
 * @param pages         pages seen while this app watched, newest first
 * @param conversations its conversations in the cache, newest first (the current one included)
 * @param current       the conversation on screen, when it is this visitor's; null otherwise
 */
public record VisitorProfile(String visitorId, CachedVisitor visitor, boolean online, String device,
                             List<PageVisit> pages, List<Conversation> conversations, Conversation current) {

    public VisitorProfile(String visitorId, CachedVisitor visitor, boolean online, String device,
                          List<PageVisit> pages, List<Conversation> conversations) {
        this(visitorId, visitor, online, device, pages, conversations, null);
    }
}

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
 */
public record VisitorProfile(String visitorId, CachedVisitor visitor, boolean online, String device,
                             List<PageVisit> pages, List<Conversation> conversations) {}

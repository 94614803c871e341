package dev.kefu.agent.cache;

import java.util.Map;

/**
 * What the cache remembers of a visitor from the relay's {@code visitor}/{@code visitors} frames,
 * so that the visitor panel still shows it offline.
 *
 * @param attrs    attributes the site passed in (never null)
 * @param since    epoch ms the visitor came online (this visit)
 * @param lastSeen epoch ms of the last frame about the visitor
 */
public record CachedVisitor(String id, String site, String name, Map<String, Object> attrs, String pageUrl,
                            String pageTitle, String referrer, String userAgent, String ip, int pages, long since,
                            long lastSeen) {}

package dev.kefu.agent.cache;

/** An agent seen in {@code conv} frames or messages (the relay has no agent list yet). */
public record KnownAgent(String id, String name) {}

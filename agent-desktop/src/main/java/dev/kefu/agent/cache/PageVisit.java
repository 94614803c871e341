package dev.kefu.agent.cache;

/** A page a visitor viewed while this app was watching; {@code ts} in epoch ms. */
public record PageVisit(String url, String title, long ts) {}

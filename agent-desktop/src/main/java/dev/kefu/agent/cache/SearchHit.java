package dev.kefu.agent.cache;

/** A cached message that matched a history search, with its conversation's visitor for display. */
public record SearchHit(String conv, String visitorLabel, long seq, String fromRole, String body, long ts) {}

package dev.kefu.relay.store;

/** An internal note: agents only, numbered by {@code nseq} apart from messages, written after message {@code afterSeq}. */
public record StoredNote(String conv, long nseq, String cid, String authorId, String author, String body,
                         long afterSeq, long ts) {}

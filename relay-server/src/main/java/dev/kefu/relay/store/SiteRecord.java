package dev.kefu.relay.store;

import java.util.List;

/** A website the widget runs on: its public key, the secret that signs visitor identities, and the origins allowed (empty = any). */
public record SiteRecord(String key, String secret, String name, List<String> origins, long createdAt) {}

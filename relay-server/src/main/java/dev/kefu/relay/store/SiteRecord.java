package dev.kefu.relay.store;

import java.util.List;

/**
 * A website the widget runs on: its public key, the secret that signs visitor identities, the
 * origins allowed (empty = any), and how its support desk works: the {@code welcome} system message
 * (null = none), the {@code assignment} mode ({@code manual}, {@code round_robin}, {@code least_busy}),
 * whether agents see visitors' drafts, its business hours (JSON, null = always open) and after how
 * many idle seconds a conversation closes itself (0 = never).
 */
public record SiteRecord(String key, String secret, String name, List<String> origins, long createdAt,
                         String welcome, String assignment, boolean typingPreview, String businessHoursJson,
                         int autoCloseSec) {

    public static final String MANUAL = "manual";
    public static final String ROUND_ROBIN = "round_robin";
    public static final String LEAST_BUSY = "least_busy";
    public static final List<String> ASSIGNMENT_MODES = List.of(MANUAL, ROUND_ROBIN, LEAST_BUSY);

    /** A site with the default desk settings. */
    public SiteRecord(String key, String secret, String name, List<String> origins, long createdAt) {
        this(key, secret, name, origins, createdAt, null, MANUAL, true, null, 0);
    }

    public boolean autoAssigns() {
        return !MANUAL.equals(assignment);
    }
}

package dev.kefu.relay.auth;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;

/**
 * Expiring signed agent tokens: {@code v1.<agentId>.<expiresAtMillis>.<HMAC-SHA256>} with the
 * relay's own key (kept in the database, so tokens survive restarts and work on every node that
 * shares the store). A token carries no secret; it only proves the relay issued it.
 */
public final class TokenService {
    private final byte[] key;
    private final Duration lifetime;
    private final Clock clock;

    public TokenService(byte[] key, Duration lifetime, Clock clock) {
        this.key = key.clone();
        this.lifetime = lifetime;
        this.clock = clock;
    }

    /** A new token for {@code agentId}; see {@link #expiresAt(String)}. */
    public String issue(String agentId) {
        long expires = clock.millis() + lifetime.toMillis();
        String payload = "v1." + agentId + "." + expires;
        return payload + "." + sign(payload);
    }

    /** The agent id of a valid, unexpired token. */
    public Optional<String> verify(String token) {
        if (token == null || token.length() > 512) {
            return Optional.empty();
        }
        int lastDot = token.lastIndexOf('.');
        if (lastDot < 0) {
            return Optional.empty();
        }
        String payload = token.substring(0, lastDot);
        byte[] given = token.substring(lastDot + 1).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(given, sign(payload).getBytes(StandardCharsets.US_ASCII))) {
            return Optional.empty();
        }
        String[] parts = payload.split("\\.");
        if (parts.length != 3 || !"v1".equals(parts[0])) {
            return Optional.empty();
        }
        try {
            return Long.parseLong(parts[2]) > clock.millis() ? Optional.of(parts[1]) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** When a token issued by {@link #issue} expires (epoch ms), or 0 if it is malformed. */
    public long expiresAt(String token) {
        String[] parts = token.split("\\.");
        try {
            return parts.length == 4 ? Long.parseLong(parts[2]) : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private String sign(String payload) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(Hmac.sha256(key, payload));
    }

    /** HMAC-SHA256, shared by tokens and visitor identity. */
    static final class Hmac {
        private Hmac() {}

        static byte[] sha256(byte[] key, String data) {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(key, "HmacSHA256"));
                return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 missing from the JDK", e);
            }
        }
    }
}

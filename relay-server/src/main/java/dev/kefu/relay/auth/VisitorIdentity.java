package dev.kefu.relay.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Checks what a visitor says of itself. Its {@code id} is random and made by the client; when the
 * host site also passes {@code userId}, the site's server must have signed it:
 * {@code userHash = hex(HMAC-SHA256(site secret, userId))}.
 */
public final class VisitorIdentity {
    private static final Pattern VISITOR_ID = Pattern.compile("[A-Za-z0-9_-]{16,64}");

    private VisitorIdentity() {}

    /** Whether a client-made visitor id has the required form (16 to 64 of {@code [A-Za-z0-9_-]}). */
    public static boolean isWellFormedId(String id) {
        return id != null && VISITOR_ID.matcher(id).matches();
    }

    /** The {@code userHash} a site's server computes for {@code userId}. */
    public static String userHash(String siteSecret, String userId) {
        return HexFormat.of().formatHex(TokenService.Hmac.sha256(siteSecret.getBytes(StandardCharsets.UTF_8), userId));
    }

    /** Whether {@code userHash} (hex, any case) signs {@code userId} under {@code siteSecret}, in constant time. */
    public static boolean verify(String siteSecret, String userId, String userHash) {
        if (userId == null || userHash == null) {
            return false;
        }
        byte[] expected = userHash(siteSecret, userId).getBytes(StandardCharsets.US_ASCII);
        byte[] given = userHash.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, given);
    }
}

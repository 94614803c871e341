package dev.kefu.agent.net;

import java.time.Instant;
import java.util.List;

/**
 * What {@code POST /api/files/credentials} answered. In {@code oss} mode: temporary STS credentials
 * allowed to put objects under {@code prefix} only (endpoint, bucket, region, key id, secret, token);
 * in {@code local} mode: the relay's {@code uploadUrl} and a one-time {@code token}. Fields of the
 * other mode are null. {@code maxSize} in bytes; {@code allowedTypes} exact or {@code type/*}.
 */
public record FileGrant(String mode, String prefix, Instant expiration, long maxSize, List<String> allowedTypes,
                        String endpoint, String bucket, String region, String accessKeyId, String accessKeySecret,
                        String securityToken, String uploadUrl, String token) {

    public boolean isOss() {
        return "oss".equals(mode);
    }

    /** Whether {@code mime} is among the allowed types. */
    public boolean allows(String mime) {
        if (mime == null) {
            return false;
        }
        String m = mime.toLowerCase(java.util.Locale.ROOT);
        for (String t : allowedTypes) {
            String a = t.toLowerCase(java.util.Locale.ROOT);
            if (a.equals(m) || (a.endsWith("*") && m.startsWith(a.substring(0, a.length() - 1)))) {
                return true;
            }
        }
        return false;
    }
}

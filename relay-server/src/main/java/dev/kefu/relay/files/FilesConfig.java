package dev.kefu.relay.files;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Where files go and what is allowed. {@code local} (the default) keeps files under the data
 * folder; {@code oss} sends them straight to a private Alibaba Cloud OSS bucket, the relay only
 * minting STS credentials, PostObject policies and signed URLs.
 *
 * @param maxBytes       largest file accepted
 * @param allowedTypes   content types, exact or {@code type/*}
 * @param endpoint       OSS endpoint, e.g. {@code https://oss-cn-hangzhou.aliyuncs.com}
 * @param bucket         private bucket name
 * @param prefix         key prefix under which everything of this relay lives (no leading or trailing /)
 * @param accessKeyId    the RAM user's key, allowed to call sts:AssumeRole on {@code roleArn} only
 * @param roleArn        the RAM role that may put objects in the bucket
 * @param stsEndpoint    e.g. {@code https://sts.aliyuncs.com}
 * @param credentialTtl  lifetime of STS credentials (15 min to 1 h)
 */
public record FilesConfig(String mode, long maxBytes, List<String> allowedTypes, String endpoint, String region,
                          String bucket, String prefix, String accessKeyId, String accessKeySecret, String roleArn,
                          String stsEndpoint, Duration credentialTtl) {

    public static final List<String> DEFAULT_TYPES = List.of("image/*", "application/pdf", "text/plain",
            "application/zip", "application/msword", "application/vnd.openxmlformats-officedocument.*",
            "application/vnd.ms-excel", "video/mp4", "audio/*");

    public FilesConfig {
        if (!mode.equals("local") && !mode.equals("oss")) {
            throw new IllegalArgumentException("files mode is local or oss");
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("max file size is positive");
        }
        if (mode.equals("oss") && (endpoint == null || bucket == null || accessKeyId == null || accessKeySecret == null
                || roleArn == null)) {
            throw new IllegalArgumentException("oss mode needs endpoint, bucket, access key id and secret, and role ARN");
        }
        prefix = prefix == null ? "kefu" : prefix.replaceAll("^/+|/+$", "");
        credentialTtl = credentialTtl == null ? Duration.ofHours(1) : credentialTtl;
        if (credentialTtl.compareTo(Duration.ofMinutes(15)) < 0 || credentialTtl.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("STS credential lifetime is 15 min to 1 h");
        }
    }

    /** Local files, 100 MB, the default types. */
    public static FilesConfig local() {
        return new FilesConfig("local", 100L * 1024 * 1024, DEFAULT_TYPES, null, null, null, "kefu", null, null, null,
                null, null);
    }

    public boolean isOss() {
        return mode.equals("oss");
    }

    /** Whether a content type is allowed. */
    public boolean allows(String mime) {
        if (mime == null) {
            return false;
        }
        String m = mime.toLowerCase(Locale.ROOT).split(";")[0].trim();
        for (String t : allowedTypes) {
            String p = t.toLowerCase(Locale.ROOT);
            if (p.endsWith("*") ? m.startsWith(p.substring(0, p.length() - 1)) : m.equals(p)) {
                return true;
            }
        }
        return false;
    }
}

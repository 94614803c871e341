package dev.kefu.relay.files;

import java.time.Instant;

/** Temporary credentials from STS AssumeRole: valid until {@code expiration}, only with the security token. */
public record StsCredentials(String accessKeyId, String accessKeySecret, String securityToken, Instant expiration) {}

package dev.kefu.relay.conversation;

/**
 * Per-connection frame rate limit: {@code burst} frames at once, refilled at {@code perSecond}.
 * Not thread-safe: used from a session's serial executor only.
 */
final class TokenBucket {
    private final double perSecond;
    private final double burst;
    private double tokens;
    private long lastNanos;

    TokenBucket(double perSecond, double burst) {
        this.perSecond = perSecond;
        this.burst = burst;
        this.tokens = burst;
        this.lastNanos = System.nanoTime();
    }

    boolean tryTake() {
        long now = System.nanoTime();
        tokens = Math.min(burst, tokens + (now - lastNanos) / 1e9 * perSecond);
        lastNanos = now;
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}

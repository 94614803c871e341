package dev.kefu.agent.net;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Reconnect delays: 0.5 s, 1 s, 2 s, 4 s ... capped at 30 s, each stretched by a random 0 to 50 %
 * (still capped) so that many agents cut off together do not come back together.
 */
public final class Backoff {
    public static final Duration FIRST = Duration.ofMillis(500);
    public static final Duration MAX = Duration.ofSeconds(30);

    private final DoubleSupplier random;

    /** {@code random} yields values in [0, 1). */
    public Backoff(DoubleSupplier random) {
        this.random = random;
    }

    public Backoff() {
        this(() -> ThreadLocalRandom.current().nextDouble());
    }

    /** The wait before attempt number {@code attempt} (1 = the first retry after a drop). */
    public Duration delay(int attempt) {
        int doublings = Math.min(Math.max(attempt, 1) - 1, 16);
        long base = Math.min(MAX.toMillis(), FIRST.toMillis() << doublings);
        long jittered = base + (long) (base * 0.5 * random.getAsDouble());
        return Duration.ofMillis(Math.min(MAX.toMillis(), jittered));
    }
}

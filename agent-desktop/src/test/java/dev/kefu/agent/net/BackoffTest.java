package dev.kefu.agent.net;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class BackoffTest {
    @ParameterizedTest(name = "attempt {0}, random {1}: {2} ms")
    @CsvSource({
            "1, 0.0, 500",
            "1, 0.999, 749",
            "2, 0.0, 1000",
            "3, 0.5, 2500",
            "7, 0.0, 30000",
            "7, 0.9, 30000",
            "50, 0.0, 30000",
            "0, 0.0, 500"
    })
    void delay_doublesFromHalfASecond_withJitter_cappedAt30s(int attempt, double random, long expectedMs) {
        assertThat(new Backoff(() -> random).delay(attempt).toMillis()).isEqualTo(expectedMs);
    }
}

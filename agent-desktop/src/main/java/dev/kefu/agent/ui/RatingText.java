package dev.kefu.agent.ui;

/** A visitor's rating drawn as stars, e.g. 4 of 5 as {@code ★★★★☆}. */
public final class RatingText {
    public static final int MAX = 5;

    private RatingText() {}

    /** {@code score} filled stars then empty ones up to five; the score is clamped to 0..5. */
    public static String stars(int score) {
        int s = Math.max(0, Math.min(MAX, score));
        return "★".repeat(s) + "☆".repeat(MAX - s);
    }
}

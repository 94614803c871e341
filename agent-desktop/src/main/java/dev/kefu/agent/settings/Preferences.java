package dev.kefu.agent.settings;

/**
 * What the agent can set.
 *
 * @param sound          play a tone on alerts
 * @param notifications  show desktop notifications on alerts
 * @param realertSeconds alert again while a visitor is still waiting after this many seconds; 0 = never
 */
public record Preferences(Language language, boolean sound, boolean notifications, int realertSeconds) {
    public static final Preferences DEFAULTS = new Preferences(Language.SYSTEM, true, true, 60);

    public Preferences withLanguage(Language l) {
        return new Preferences(l, sound, notifications, realertSeconds);
    }
}

package dev.kefu.agent.ui;

import java.text.MessageFormat;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;
import java.util.Locale;
import java.util.MissingResourceException;
import java.util.ResourceBundle;

/**
 * The interface's words in one language: {@code dev/kefu/agent/messages_zh.properties} or
 * {@code messages_en.properties} (UTF-8), plus the few formats every screen shares.
 */
public final class I18n {
    static final String BUNDLE = "dev.kefu.agent.messages";

    private final Locale locale;
    private final ResourceBundle bundle;
    private final DateTimeFormatter time = DateTimeFormatter.ofPattern("HH:mm");
    private final DateTimeFormatter date;

    private I18n(Locale locale) {
        this.locale = locale;
        this.bundle = ResourceBundle.getBundle(BUNDLE, locale,
                ResourceBundle.Control.getNoFallbackControl(ResourceBundle.Control.FORMAT_PROPERTIES));
        this.date = DateTimeFormatter.ofLocalizedDate(FormatStyle.SHORT).withLocale(locale);
    }

    /** The bundle for {@code locale}'s language: Chinese for {@code zh}, English otherwise. */
    public static I18n of(Locale locale) {
        return new I18n("zh".equals(locale.getLanguage()) ? Locale.SIMPLIFIED_CHINESE : Locale.ENGLISH);
    }

    public Locale locale() {
        return locale;
    }

    /** The text for {@code key}, with {@code {0}}-style arguments filled in when given. */
    public String t(String key, Object... args) {
        String pattern;
        try {
            pattern = bundle.getString(key);
        } catch (MissingResourceException e) {
            return "!" + key + "!";
        }
        return args.length == 0 ? pattern : new MessageFormat(pattern, locale).format(args);
    }

    /** {@code HH:mm} for today, the date and time otherwise. */
    public String timeOf(long epochMs) {
        Instant at = Instant.ofEpochMilli(epochMs);
        ZoneId zone = ZoneId.systemDefault();
        if (LocalDate.ofInstant(at, zone).equals(LocalDate.now(zone))) {
            return time.format(at.atZone(zone));
        }
        return date.format(at.atZone(zone)) + " " + time.format(at.atZone(zone));
    }

    /** A duration as {@code m:ss}, or {@code h:mm:ss} from an hour on. */
    public static String clock(long seconds) {
        long s = Math.max(0, seconds);
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
        }
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}

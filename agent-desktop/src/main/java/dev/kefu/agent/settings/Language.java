package dev.kefu.agent.settings;

import java.util.Locale;

/** The interface language: follow the system, or pinned to Chinese or English. */
public enum Language {
    SYSTEM, ZH, EN;

    /** The locale whose resource bundle to load; the system's, when it is Chinese, else English. */
    public Locale locale() {
        return switch (this) {
            case ZH -> Locale.SIMPLIFIED_CHINESE;
            case EN -> Locale.ENGLISH;
            case SYSTEM -> "zh".equals(Locale.getDefault().getLanguage()) ? Locale.SIMPLIFIED_CHINESE : Locale.ENGLISH;
        };
    }

    /** From {@code zh}, {@code en} or {@code system} (any case); null for anything else. */
    public static Language parse(String text) {
        if (text == null) {
            return null;
        }
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "zh", "zh_cn", "zh-cn", "cn" -> ZH;
            case "en", "en_us", "en-us" -> EN;
            case "system", "auto" -> SYSTEM;
            default -> null;
        };
    }
}

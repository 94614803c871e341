package dev.kefu.agent.ui;

import javafx.scene.text.Font;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * On Linux, JavaFX's default font does not always fall back to a font with Chinese glyphs (names
 * showed as boxes under Xvfb with fonts-noto-cjk installed). There the app sets the first installed
 * CJK family itself, through a stylesheet that ControlsFX also copies into its notification popups.
 * Windows and macOS fall back by themselves.
 */
public final class Fonts {
    private static final List<String> CJK_FAMILIES = List.of("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
            "Source Han Sans CN", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback");

    private Fonts() {}

    /** A {@code data:} stylesheet setting a CJK-capable family on every root; null when not needed or none is installed. */
    public static String cjkStylesheet() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return null;
        }
        List<String> installed = Font.getFamilies();
        for (String family : CJK_FAMILIES) {
            if (installed.contains(family)) {
                String css = ".root { -fx-font-family: \"" + family + "\"; }";
                return "data:text/css;base64," + Base64.getEncoder().encodeToString(css.getBytes(StandardCharsets.UTF_8));
            }
        }
        return null;
    }
}

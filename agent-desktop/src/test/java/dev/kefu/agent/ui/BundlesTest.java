package dev.kefu.agent.ui;

import dev.kefu.agent.settings.Language;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.Locale;
import java.util.ResourceBundle;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

class BundlesTest {
    private static Set<String> keys(Locale locale) {
        ResourceBundle b = ResourceBundle.getBundle(I18n.BUNDLE, locale,
                ResourceBundle.Control.getNoFallbackControl(ResourceBundle.Control.FORMAT_PROPERTIES));
        return new TreeSet<>(Collections.list(b.getKeys()));
    }

    @Test
    void chineseAndEnglish_haveTheSameKeys() {
        assertThat(keys(Locale.SIMPLIFIED_CHINESE)).isEqualTo(keys(Locale.ENGLISH));
    }

    @Test
    void chinese_isReallyChinese() {
        I18n zh = I18n.of(Language.ZH.locale());
        assertThat(zh.t("chat.accept")).isEqualTo("接待");
        assertThat(zh.t("tab.waiting", 3)).isEqualTo("排队 3");
        assertThat(zh.t("chat.draft", "李雷", "你好")).isEqualTo("李雷 正在输入：你好");
    }

    @Test
    void english_formatsArguments() {
        I18n en = I18n.of(Language.EN.locale());
        assertThat(en.t("connection.queued", 10)).isEqualTo("10 queued");
        assertThat(en.t("no.such.key")).isEqualTo("!no.such.key!");
    }

    @Test
    void clock_showsMinutesAndHours() {
        assertThat(I18n.clock(65)).isEqualTo("1:05");
        assertThat(I18n.clock(3_725)).isEqualTo("1:02:05");
    }
}

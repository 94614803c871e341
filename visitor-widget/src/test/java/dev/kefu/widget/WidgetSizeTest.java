package dev.kefu.widget;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The widget is loaded on every page of every site that embeds it: it must stay small, and it
 * must never turn network text into code or markup (it has to work under a strict CSP too).
 */
class WidgetSizeTest {

    static final String WIDGET = "/kefu/widget/widget.js";
    static final int MAX_GZIPPED_BYTES = 30 * 1024;

    @Test
    void widget_gzipped_isAtMost30KiB() throws IOException {
        byte[] raw = resource(WIDGET).getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream packed = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(packed)) {
            gzip.write(raw);
        }

        assertThat(packed.size())
                .as("gzipped size of widget.js (%d bytes raw)", raw.length)
                .isLessThanOrEqualTo(MAX_GZIPPED_BYTES);
    }

    @ParameterizedTest(name = "no {0}")
    @CsvSource(delimiter = ';', value = {
            "eval                 ; \\beval\\s*\\(",
            "Function constructor ; new\\s+Function\\b",
            "string timers        ; set(Timeout|Interval)\\s*\\(\\s*[\\x22\\x27]",
            "innerHTML assignment ; \\.innerHTML\\s*\\+?=",
            "outerHTML assignment ; \\.outerHTML\\s*\\+?=",
            "insertAdjacentHTML   ; insertAdjacentHTML",
            "document.write       ; document\\.write",
    })
    void widget_neverTurnsTextIntoCodeOrMarkup(String what, String regex) throws IOException {
        assertThat(Pattern.compile(regex).matcher(resource(WIDGET)).find())
                .as("widget.js uses %s", what)
                .isFalse();
    }

    @Test
    void widget_isOneIife() throws IOException {
        String code = resource(WIDGET).replaceAll("(?s)/\\*.*?\\*/", "").strip();

        assertThat(code).startsWith("(function (window, document) {");
        assertThat(code).endsWith("})(window, document);");
    }

    static String resource(String path) throws IOException {
        try (InputStream in = WidgetSizeTest.class.getResourceAsStream(path)) {
            assertThat(in).as("classpath resource %s", path).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}

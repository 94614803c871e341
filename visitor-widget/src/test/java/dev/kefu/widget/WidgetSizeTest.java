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
 * The widget is loaded on every page of every site that embeds it: what the relay serves (the
 * minified build) must stay small, and neither it nor the source may ever turn network text into
 * code or markup (it has to work under a strict CSP too).
 */
class WidgetSizeTest {

    /** The readable source, the one that is edited (served at /src/widget.js). */
    static final String SOURCE = "/kefu/widget/widget.js";
    /** Made from SOURCE by the build (src/build/java/MinifyWidget.java); served at /widget.js. */
    static final String SERVED = "/kefu/widget/widget.min.js";
    static final int MAX_GZIPPED_BYTES = 30 * 1024;
    /** Not a budget, a tripwire: the source may grow with comments, but not without anyone noticing. */
    static final int MAX_SOURCE_GZIPPED_BYTES = 2 * MAX_GZIPPED_BYTES;

    @Test
    void servedWidget_gzipped_isAtMost30KiB() throws IOException {
        byte[] raw = resource(SERVED).getBytes(StandardCharsets.UTF_8);
        int gzipped = gzippedSize(raw);
        System.out.printf("widget.min.js: %,d bytes, %,d gzipped (budget %,d)%n", raw.length, gzipped, MAX_GZIPPED_BYTES);

        assertThat(gzipped)
                .as("gzipped size of widget.min.js, served as /widget.js (%d bytes raw)", raw.length)
                .isLessThanOrEqualTo(MAX_GZIPPED_BYTES);
    }

    @Test
    void source_gzipped_isReported_andTheMinifierShrinksIt() throws IOException {
        byte[] source = resource(SOURCE).getBytes(StandardCharsets.UTF_8);
        byte[] served = resource(SERVED).getBytes(StandardCharsets.UTF_8);
        int sourceGzipped = gzippedSize(source);
        int servedGzipped = gzippedSize(served);
        System.out.printf("widget.js (source): %,d bytes, %,d gzipped%n", source.length, sourceGzipped);

        assertThat(sourceGzipped)
                .as("gzipped size of the source widget.js (%d bytes raw); the budget is on the minified build", source.length)
                .isLessThanOrEqualTo(MAX_SOURCE_GZIPPED_BYTES);
        assertThat(servedGzipped)
                .as("gzipped minified (%d) against gzipped source (%d)", servedGzipped, sourceGzipped)
                .isLessThan(sourceGzipped * 3 / 4);
    }

    @ParameterizedTest(name = "{0}: no {1}")
    @CsvSource(delimiter = ';', value = {
            SOURCE + "; eval                 ; \\beval\\s*\\(",
            SOURCE + "; Function constructor ; new\\s+Function\\b",
            SOURCE + "; string timers        ; set(Timeout|Interval)\\s*\\(\\s*[\\x22\\x27]",
            SOURCE + "; innerHTML assignment ; \\.innerHTML\\s*\\+?=",
            SOURCE + "; outerHTML assignment ; \\.outerHTML\\s*\\+?=",
            SOURCE + "; insertAdjacentHTML   ; insertAdjacentHTML",
            SOURCE + "; document.write       ; document\\.write",
            SERVED + "; eval                 ; \\beval\\s*\\(",
            SERVED + "; Function constructor ; new\\s+Function\\b",
            SERVED + "; string timers        ; set(Timeout|Interval)\\s*\\(\\s*[\\x22\\x27]",
            SERVED + "; innerHTML assignment ; \\.innerHTML\\s*\\+?=",
            SERVED + "; outerHTML assignment ; \\.outerHTML\\s*\\+?=",
            SERVED + "; insertAdjacentHTML   ; insertAdjacentHTML",
            SERVED + "; document.write       ; document\\.write",
    })
    void widget_neverTurnsTextIntoCodeOrMarkup(String file, String what, String regex) throws IOException {
        assertThat(Pattern.compile(regex).matcher(resource(file)).find())
                .as("%s uses %s", file, what)
                .isFalse();
    }

    @Test
    void source_isOneIife() throws IOException {
        String code = resource(SOURCE).replaceAll("(?s)/\\*.*?\\*/", "").strip();

        assertThat(code).startsWith("(function (window, document) {");
        assertThat(code).endsWith("})(window, document);");
    }

    @Test
    void served_isOneIife_underTheSourceBanner() throws IOException {
        String source = resource(SOURCE);
        String banner = source.substring(0, source.indexOf("*/") + 2);
        String served = resource(SERVED);

        assertThat(banner).startsWith("/*! Kefu visitor widget ");
        assertThat(served).startsWith(banner + "\n");
        String code = served.substring(banner.length()).strip();
        assertThat(code).matches("(?s)!function\\(\\w+,\\w+\\)\\{\"use strict\";.*");
        assertThat(code).endsWith("}(window,document);");
    }

    static int gzippedSize(byte[] raw) throws IOException {
        ByteArrayOutputStream packed = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(packed)) {
            gzip.write(raw);
        }
        return packed.size();
    }

    static String resource(String path) throws IOException {
        try (InputStream in = WidgetSizeTest.class.getResourceAsStream(path)) {
            assertThat(in).as("classpath resource %s", path).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}

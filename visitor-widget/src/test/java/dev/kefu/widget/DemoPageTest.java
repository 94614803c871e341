package dev.kefu.widget;

import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** The relay serves demo.html at /demo and the widget at /widget.js on the same origin. */
class DemoPageTest {

    @Test
    void demo_embedsWidgetFromSameOrigin_withQueueingStub() throws IOException {
        String page = WidgetSizeTest.resource("/kefu/widget/demo.html");

        assertThat(page).contains("<script src=\"/widget.js\" data-site=\"demo\" async></script>");
        assertThat(page).contains("window.Kefu=window.Kefu||function(){(Kefu.q=Kefu.q||[]).push(arguments)}");
        assertThat(page.indexOf("Kefu.q=Kefu.q")).isLessThan(page.indexOf("src=\"/widget.js\""));
    }
}

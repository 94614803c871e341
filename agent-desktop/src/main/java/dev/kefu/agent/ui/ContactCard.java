package dev.kefu.agent.ui;

import dev.kefu.agent.cache.ContactDetails;
import javafx.animation.PauseTransition;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.OverrunStyle;
import javafx.scene.control.Tooltip;
import javafx.scene.input.Clipboard;
import javafx.scene.input.ClipboardContent;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.util.Duration;

import java.util.ArrayList;
import java.util.List;

/**
 * The contact details a visitor left, as the chat and the visitor panel show them: one labelled line
 * per field given (empty ones left out; a value too long for the line cut short with an ellipsis and
 * shown whole on hover), the message text wrapped under its label, each with a Copy button (an agent
 * calls back from these, so they must reach another program intact).
 */
public final class ContactCard {
    private static final Duration COPIED_SHOWN = Duration.seconds(1.5);

    private ContactCard() {}

    /**
     * The fields of {@code c}. Node ids start with {@code idPrefix}: {@code <prefix>Name}, {@code Email},
     * {@code Phone}, {@code Text} for the values, {@code <prefix>CopyName} ... for their buttons.
     */
    public static VBox of(ContactDetails c, I18n i18n, String idPrefix) {
        VBox box = new VBox(4);
        box.getStyleClass().add("contact-card");
        line(box, i18n, idPrefix, "Name", "contact.name", c.name(), false);
        line(box, i18n, idPrefix, "Email", "contact.email", c.email(), false);
        line(box, i18n, idPrefix, "Phone", "contact.phone", c.phone(), false);
        line(box, i18n, idPrefix, "Text", "contact.text", c.text(), true);
        return box;
    }

    /** Every field given, one "Label: value" line each, in the agent's language: what "Copy all" copies. */
    public static String asText(ContactDetails c, I18n i18n) {
        List<String> lines = new ArrayList<>();
        add(lines, i18n, "contact.name", c.name());
        add(lines, i18n, "contact.email", c.email());
        add(lines, i18n, "contact.phone", c.phone());
        add(lines, i18n, "contact.text", c.text());
        return String.join("\n", lines);
    }

    /** A button that copies {@code text} when pressed and says so for a moment. */
    public static Button copyButton(String label, I18n i18n, java.util.function.Supplier<String> text) {
        Button copy = new Button(label);
        copy.getStyleClass().add("contact-copy");
        copy.setMinWidth(Region.USE_PREF_SIZE);
        copy.setOnAction(e -> {
            ClipboardContent content = new ClipboardContent();
            content.putString(text.get());
            Clipboard.getSystemClipboard().setContent(content);
            copy.setText(i18n.t("contact.copied"));
            PauseTransition back = new PauseTransition(COPIED_SHOWN);
            back.setOnFinished(done -> copy.setText(label));
            back.play();
        });
        return copy;
    }

    private static void add(List<String> lines, I18n i18n, String key, String value) {
        if (value != null) {
            lines.add(i18n.t(key) + ": " + value);
        }
    }

    private static void line(VBox box, I18n i18n, String idPrefix, String field, String key, String value,
                             boolean below) {
        if (value == null) {
            return;
        }
        Label name = new Label(i18n.t(key));
        name.getStyleClass().add("contact-key");
        name.setMinWidth(Region.USE_PREF_SIZE);
        Label shown = new Label(value);
        shown.setId(idPrefix + field);
        shown.getStyleClass().add("contact-value");
        shown.setMinWidth(0);
        shown.setMinHeight(Region.USE_PREF_SIZE);
        Button copy = copyButton(i18n.t("contact.copy"), i18n, () -> value);
        copy.setId(idPrefix + "Copy" + field);
        if (below) {
            // the message: its label and button on one line, the text wrapped under them at full width
            shown.setWrapText(true);
            Region spacer = new Region();
            HBox.setHgrow(spacer, Priority.ALWAYS);
            HBox head = new HBox(6, name, spacer, copy);
            head.setAlignment(Pos.CENTER_LEFT);
            box.getChildren().addAll(head, shown);
            return;
        }
        // one line: wrapping broke an email or a number anywhere within it ("xiaoming.wang@exampl / e.com"),
        // so a value too long for the card is cut short instead (an email in its middle, keeping the
        // domain's end), whole on hover and by its Copy button
        shown.setTextOverrun("Email".equals(field) ? OverrunStyle.CENTER_ELLIPSIS : OverrunStyle.ELLIPSIS);
        shown.setEllipsisString("…");
        Tooltip whole = new Tooltip(value);
        whole.setWrapText(true);
        whole.setMaxWidth(480);
        shown.setTooltip(whole);
        HBox.setHgrow(shown, Priority.ALWAYS);
        shown.setMaxWidth(Double.MAX_VALUE);
        HBox row = new HBox(6, name, shown, copy);
        row.setAlignment(Pos.CENTER_LEFT);
        box.getChildren().add(row);
    }
}

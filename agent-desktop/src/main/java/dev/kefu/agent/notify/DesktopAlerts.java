package dev.kefu.agent.notify;

import dev.kefu.agent.ui.I18n;
import dev.kefu.agent.ui.UiThread;
import javafx.geometry.Pos;
import javafx.stage.Window;
import javafx.util.Duration;
import org.controlsfx.control.Notifications;

import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * Shows alerts on the desktop: a ControlsFX notification (clicking it opens the conversation),
 * the tray badge where there is a tray, and the count in the window title everywhere.
 */
public final class DesktopAlerts implements AlertSink {
    private static final Duration SHOWN_FOR = Duration.seconds(8);

    private final Supplier<I18n> i18n;
    private final Supplier<Window> owner;
    private final Consumer<String> openConversation;
    private final IntConsumer titleBadge;
    private TrayBadge tray; // installed with the first badge, i.e. once an agent is logged in

    /**
     * @param owner            the window notifications belong to (null: the screen)
     * @param openConversation called on the FX thread with a conversation id when a notification is clicked
     * @param titleBadge       called on the FX thread with the badge count
     */
    public DesktopAlerts(Supplier<I18n> i18n, Supplier<Window> owner, Consumer<String> openConversation,
                         IntConsumer titleBadge) {
        this.i18n = i18n;
        this.owner = owner;
        this.openConversation = openConversation;
        this.titleBadge = titleBadge;
    }

    private synchronized TrayBadge tray() {
        if (tray == null) {
            tray = TrayBadge.install("Kefu", () -> UiThread.run(() -> openConversation.accept(null)));
        }
        return tray;
    }

    @Override
    public void show(Alert alert) {
        UiThread.run(() -> {
            I18n t = i18n.get();
            String title = switch (alert.kind()) {
                case NEW_VISITOR -> t.t("alert.newVisitor.title");
                case LEFT_MESSAGE -> t.t("alert.leftMessage.title");
                case MESSAGE -> t.t("alert.message.title", alert.visitor());
                case CONTACT -> t.t("alert.contact.title", alert.visitor());
                case STILL_WAITING -> t.t("alert.stillWaiting.title");
                case SUMMARY -> t.t("alert.summary.title");
            };
            String text = switch (alert.kind()) {
                case NEW_VISITOR -> t.t("alert.newVisitor.text", alert.visitor());
                case LEFT_MESSAGE -> t.t("alert.leftMessage.text", alert.visitor());
                case MESSAGE, CONTACT -> abbreviate(alert.text());
                case STILL_WAITING -> t.t("alert.stillWaiting.text", alert.visitor(), I18n.clock(alert.waitedSeconds()));
                case SUMMARY -> t.t("alert.summary.text", alert.count());
            };
            Notifications n = Notifications.create().title(title).text(text).hideAfter(SHOWN_FOR)
                    .position(Pos.BOTTOM_RIGHT);
            Window w = owner.get();
            if (w != null && w.isShowing()) {
                n.owner(w);
            }
            if (alert.conv() != null) {
                n.onAction(e -> openConversation.accept(alert.conv()));
            }
            n.showInformation();
        });
    }

    @Override
    public void badge(int count) {
        tray().setCount(count);
        UiThread.run(() -> titleBadge.accept(count));
    }

    public synchronized void close() {
        if (tray != null) {
            tray.remove();
        }
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        String one = s.replace('\n', ' ');
        // by code points: an emoji (two chars) is never cut in half
        return one.codePointCount(0, one.length()) > 140 ? one.substring(0, one.offsetByCodePoints(0, 139)) + "…" : one;
    }
}

package dev.kefu.agent.notify;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.AWTException;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.EventQueue;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.GraphicsEnvironment;
import java.awt.RenderingHints;
import java.awt.SystemTray;
import java.awt.TrayIcon;
import java.awt.image.BufferedImage;

/**
 * A tray icon whose badge counts what needs the agent (waiting visitors plus unread messages),
 * where the desktop has a system tray (AWT {@link SystemTray}); does nothing elsewhere (e.g. Xvfb,
 * many Wayland desktops). All AWT work happens on AWT's event thread.
 */
final class TrayBadge {
    private static final Logger log = LoggerFactory.getLogger(TrayBadge.class);

    private volatile TrayIcon icon;
    private volatile int count;

    /** Installs the icon in the background if a tray exists; {@code onOpen} runs (on AWT's thread) when it is clicked. */
    static TrayBadge install(String tooltip, Runnable onOpen) {
        TrayBadge badge = new TrayBadge();
        Thread t = new Thread(() -> badge.tryInstall(tooltip, onOpen), "kefu-tray");
        t.setDaemon(true);
        t.start();
        return badge;
    }

    private void tryInstall(String tooltip, Runnable onOpen) {
        try {
            if (GraphicsEnvironment.isHeadless() || !SystemTray.isSupported()) {
                log.info("no system tray on this desktop: no tray badge");
                return;
            }
            EventQueue.invokeLater(() -> {
                try {
                    TrayIcon ti = new TrayIcon(image(count), tooltip);
                    ti.setImageAutoSize(true);
                    ti.addActionListener(e -> onOpen.run());
                    SystemTray.getSystemTray().add(ti);
                    icon = ti;
                } catch (AWTException | RuntimeException e) {
                    log.info("tray icon not installed: {}", e.toString());
                }
            });
        } catch (RuntimeException | Error e) {
            log.info("no system tray: {}", e.toString());
        }
    }

    void setCount(int n) {
        count = n;
        TrayIcon ti = icon;
        if (ti != null) {
            EventQueue.invokeLater(() -> {
                ti.setImage(image(n));
                ti.setToolTip(n > 0 ? "Kefu (" + n + ")" : "Kefu");
            });
        }
    }

    void remove() {
        TrayIcon ti = icon;
        if (ti != null) {
            EventQueue.invokeLater(() -> SystemTray.getSystemTray().remove(ti));
        }
    }

    /** A blue speech bubble with a red count badge (none at 0). */
    static BufferedImage image(int n) {
        int size = 32;
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(new Color(0x2F6FEB));
        g.fillRoundRect(2, 4, 24, 20, 8, 8);
        g.fillPolygon(new int[]{8, 14, 8}, new int[]{22, 22, 29}, 3);
        g.setColor(Color.WHITE);
        g.setStroke(new BasicStroke(2));
        g.drawLine(8, 11, 20, 11);
        g.drawLine(8, 16, 16, 16);
        if (n > 0) {
            String text = n > 99 ? "99" : String.valueOf(n);
            g.setColor(new Color(0xE5484D));
            g.fillOval(15, 0, 17, 17);
            g.setColor(Color.WHITE);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, text.length() > 1 ? 10 : 12));
            int w = g.getFontMetrics().stringWidth(text);
            g.drawString(text, 15 + (17 - w) / 2, 13);
        }
        g.dispose();
        return img;
    }
}

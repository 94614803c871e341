package dev.kefu.agent.ui;

import javax.imageio.ImageIO;
import java.awt.AWTException;
import java.awt.GraphicsEnvironment;
import java.awt.Rectangle;
import java.awt.Robot;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The screenshot tool's pixels: the whole screen through {@link Robot#createScreenCapture} (works
 * under X11, Xvfb included), and a crop of it encoded as PNG. Blocking: call it off the FX thread.
 */
public final class ScreenCapture {
    private ScreenCapture() {}

    /** Every screen's pixels, as one image of the virtual desktop. */
    public static BufferedImage captureScreen() {
        if (GraphicsEnvironment.isHeadless()) {
            throw new IllegalStateException("no screen to capture (headless)");
        }
        Rectangle all = new Rectangle();
        for (var device : GraphicsEnvironment.getLocalGraphicsEnvironment().getScreenDevices()) {
            all = all.union(device.getDefaultConfiguration().getBounds());
        }
        try {
            return new Robot().createScreenCapture(all);
        } catch (AWTException e) {
            throw new IllegalStateException("screen capture not allowed: " + e.getMessage(), e);
        }
    }

    /** The region {@code x, y, w, h} of {@code screen} (clamped to it) as PNG bytes. */
    public static byte[] cropPng(BufferedImage screen, int x, int y, int w, int h) {
        int cx = Math.max(0, Math.min(x, screen.getWidth() - 1));
        int cy = Math.max(0, Math.min(y, screen.getHeight() - 1));
        int cw = Math.max(1, Math.min(w, screen.getWidth() - cx));
        int ch = Math.max(1, Math.min(h, screen.getHeight() - cy));
        return png(screen.getSubimage(cx, cy, cw, ch));
    }

    public static byte[] png(BufferedImage image) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(image, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

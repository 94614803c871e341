package dev.kefu.e2e.harness;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;

/** Real PNG pictures for upload tests, so that a browser can decode and show them. */
public final class TestImages {
    private TestImages() {}

    /**
     * A photo-like picture: a sky-to-sand gradient, a sun and a cup, with film grain so that it does
     * not compress (a 640 x 480 one is about 0.5 to 0.9 MB, enough for upload progress to show).
     */
    public static byte[] photo(int width, int height, long seed) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setPaint(new GradientPaint(0, 0, new Color(0x7fb3e6), 0, height, new Color(0xf2d9a6)));
        g.fillRect(0, 0, width, height);
        g.setColor(new Color(0xffd166));
        g.fillOval(width * 3 / 4, height / 10, width / 8, width / 8);
        g.setColor(new Color(0x1f4e99));
        g.fillRoundRect(width / 4, height / 2, width / 3, height / 3, 40, 40);
        g.setStroke(new BasicStroke(width / 40f));
        g.drawArc(width / 4 + width / 3 - width / 20, height / 2 + height / 12, width / 8, height / 6, -90, 180);
        g.dispose();
        Random grain = new Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int rgb = img.getRGB(x, y);
                int n = grain.nextInt(25) - 12;
                img.setRGB(x, y, (clamp((rgb >> 16 & 0xff) + n) << 16) | (clamp((rgb >> 8 & 0xff) + n) << 8)
                        | clamp((rgb & 0xff) + n));
            }
        }
        return png(img);
    }

    /** A flat picture, like a screenshot of a page: a header bar and a few text lines. Small. */
    public static byte[] screenshot(int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(new Color(0xe4572e));
        g.fillRect(0, 0, width, height / 6);
        g.setColor(new Color(0xd0d7de));
        for (int i = 0; i < 4; i++) {
            g.fillRoundRect(width / 12, height / 4 + i * height / 6, width * (10 - i * 2) / 12, height / 14, 8, 8);
        }
        g.setColor(new Color(0x2da44e));
        g.fillRoundRect(width * 2 / 3, height * 3 / 4, width / 4, height / 8, 12, 12);
        g.dispose();
        return png(img);
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    private static byte[] png(BufferedImage img) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}

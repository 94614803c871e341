package dev.kefu.agent.upload;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Files for upload tests. */
final class TestFiles {
    private TestFiles() {}

    /** A screenshot-sized PNG (1280x800, some shapes and noise so it does not compress to nothing). */
    static Path screenshot(Path dir) throws IOException {
        BufferedImage img = new BufferedImage(1280, 800, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setPaint(new GradientPaint(0, 0, new Color(30, 90, 160), 1280, 800, new Color(240, 200, 80)));
        g.fillRect(0, 0, 1280, 800);
        Random r = new Random(7);
        for (int i = 0; i < 400; i++) {
            g.setColor(new Color(r.nextInt(0xFFFFFF)));
            g.fillRect(r.nextInt(1280), r.nextInt(800), 10 + r.nextInt(60), 8 + r.nextInt(30));
        }
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        Path p = dir.resolve("screenshot.png");
        Files.write(p, out.toByteArray());
        return p;
    }

    /** {@code mb} megabytes of pseudo-random bytes. */
    static Path random(Path dir, String name, int mb) throws IOException {
        Path p = dir.resolve(name);
        Random r = new Random(mb);
        byte[] chunk = new byte[1024 * 1024];
        try (OutputStream out = Files.newOutputStream(p)) {
            for (int i = 0; i < mb; i++) {
                r.nextBytes(chunk);
                out.write(chunk);
            }
        }
        return p;
    }

    /** A sparse file of {@code bytes} (cheap: nothing is written). */
    static Path sparse(Path dir, String name, long bytes) throws IOException {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(bytes);
        }
        return p;
    }
}

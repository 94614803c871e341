package dev.kefu.agent.testing;

import javafx.scene.Scene;
import javafx.scene.image.PixelReader;
import javafx.scene.image.WritableImage;
import org.testfx.util.WaitForAsyncUtils;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Saves a scene as a PNG under {@code target/screenshots} (system property {@code kefu.screenshots}). */
public final class Screenshots {
    private Screenshots() {}

    public static Path save(Scene scene, String fileName) throws Exception {
        Path dir = Path.of(System.getProperty("kefu.screenshots", "target/screenshots"));
        Files.createDirectories(dir);
        Callable<WritableImage> snap = () -> scene.snapshot(null);
        WritableImage image = WaitForAsyncUtils.asyncFx(snap).get();
        Path file = dir.resolve(fileName);
        write(image, file);
        return file;
    }

    /** The whole screen (popups included), as the glass robot sees it. */
    public static Path saveScreen(org.testfx.api.FxRobot robot, String fileName) throws Exception {
        Path dir = Path.of(System.getProperty("kefu.screenshots", "target/screenshots"));
        Files.createDirectories(dir);
        Callable<WritableImage> grab = () -> {
            javafx.geometry.Rectangle2D screen = javafx.stage.Screen.getPrimary().getBounds();
            javafx.scene.image.Image img = robot.capture(screen).getImage();
            WritableImage copy = new WritableImage(img.getPixelReader(), (int) img.getWidth(), (int) img.getHeight());
            return copy;
        };
        Path file = dir.resolve(fileName);
        write(grab.call(), file);
        return file;
    }

    private static void write(WritableImage image, Path file) throws IOException {
        int w = (int) image.getWidth();
        int h = (int) image.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
        PixelReader pixels = image.getPixelReader();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                out.setRGB(x, y, pixels.getArgb(x, y));
            }
        }
        ImageIO.write(out, "png", file.toFile());
    }
}

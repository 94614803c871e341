package dev.kefu.agent.chat;

import dev.kefu.agent.ui.FxImages;
import dev.kefu.agent.ui.I18n;
import dev.kefu.agent.ui.ScreenCapture;
import dev.kefu.agent.ui.UiThread;
import javafx.animation.PauseTransition;
import javafx.geometry.Rectangle2D;
import javafx.scene.Scene;
import javafx.scene.control.Alert;
import javafx.scene.control.ButtonType;
import javafx.scene.control.Label;
import javafx.scene.image.ImageView;
import javafx.scene.input.KeyCode;
import javafx.scene.layout.Pane;
import javafx.scene.paint.Color;
import javafx.scene.shape.Rectangle;
import javafx.stage.Screen;
import javafx.stage.Stage;
import javafx.stage.StageStyle;
import javafx.util.Duration;

import java.awt.image.BufferedImage;
import java.util.concurrent.CompletableFuture;

/**
 * The screenshot tool: the app's window is made invisible, the screen captured, then a full-screen
 * stage shows the capture under a dark veil with a rubber-band rectangle; on release a preview
 * asks to send the crop, which goes out as an image ({@link ChatViewModel#sendScreenshot}).
 * Esc cancels at any point.
 */
final class ScreenshotOverlay {
    private ScreenshotOverlay() {}

    static void start(Stage owner, ChatViewModel vm, I18n i18n) {
        double opacity = owner.getOpacity();
        owner.setOpacity(0); // hiding the only window would end the app (implicit exit)
        PauseTransition settle = new PauseTransition(Duration.millis(250));
        settle.setOnFinished(e -> CompletableFuture.supplyAsync(ScreenCapture::captureScreen)
                .whenComplete((screen, failure) -> UiThread.run(() -> {
                    owner.setOpacity(opacity);
                    if (failure != null) {
                        vm.noticeProperty().set(i18n.t("screenshot.failed", String.valueOf(failure.getMessage())));
                    } else {
                        select(owner, screen, vm, i18n);
                    }
                })));
        settle.play();
    }

    private static void select(Stage owner, BufferedImage screen, ChatViewModel vm, I18n i18n) {
        Rectangle2D bounds = Screen.getPrimary().getBounds();
        double scale = screen.getWidth() / bounds.getWidth();
        ImageView shot = new ImageView(FxImages.toFx(screen));
        shot.setFitWidth(bounds.getWidth());
        shot.setFitHeight(bounds.getHeight());
        Rectangle veil = new Rectangle(bounds.getWidth(), bounds.getHeight(), Color.rgb(0, 0, 0, 0.35));
        veil.setMouseTransparent(true);
        Rectangle band = new Rectangle();
        band.setId("screenshotSelection");
        band.setFill(Color.rgb(255, 255, 255, 0.15));
        band.setStroke(Color.web("#1e88e5"));
        band.setStrokeWidth(2);
        band.setMouseTransparent(true);
        Label hint = new Label(i18n.t("screenshot.hint"));
        hint.setStyle("-fx-background-color: rgba(0,0,0,0.7); -fx-text-fill: white; -fx-padding: 6 10;");
        hint.relocate(20, 20);
        Pane pane = new Pane(shot, veil, band, hint);
        pane.setId("screenshotOverlay");
        Stage stage = new Stage(StageStyle.TRANSPARENT);
        stage.initOwner(owner);
        stage.setX(bounds.getMinX());
        stage.setY(bounds.getMinY());
        stage.setWidth(bounds.getWidth());
        stage.setHeight(bounds.getHeight());
        stage.setAlwaysOnTop(true);
        Scene scene = new Scene(pane, bounds.getWidth(), bounds.getHeight(), Color.TRANSPARENT);
        scene.setOnKeyPressed(k -> {
            if (k.getCode() == KeyCode.ESCAPE) {
                stage.close();
            }
        });
        double[] start = new double[2];
        pane.setOnMousePressed(e -> {
            start[0] = e.getX();
            start[1] = e.getY();
            band.setX(e.getX());
            band.setY(e.getY());
            band.setWidth(0);
            band.setHeight(0);
        });
        pane.setOnMouseDragged(e -> {
            band.setX(Math.min(start[0], e.getX()));
            band.setY(Math.min(start[1], e.getY()));
            band.setWidth(Math.abs(e.getX() - start[0]));
            band.setHeight(Math.abs(e.getY() - start[1]));
        });
        pane.setOnMouseReleased(e -> {
            if (band.getWidth() < 4 || band.getHeight() < 4) {
                return;
            }
            stage.close();
            int x = (int) Math.round(band.getX() * scale);
            int y = (int) Math.round(band.getY() * scale);
            int w = (int) Math.round(band.getWidth() * scale);
            int h = (int) Math.round(band.getHeight() * scale);
            preview(owner, screen, x, y, w, h, vm, i18n);
        });
        stage.setScene(scene);
        stage.show();
        stage.requestFocus();
    }

    private static void preview(Stage owner, BufferedImage screen, int x, int y, int w, int h, ChatViewModel vm, I18n i18n) {
        BufferedImage crop = screen.getSubimage(Math.max(0, x), Math.max(0, y),
                Math.max(1, Math.min(w, screen.getWidth() - Math.max(0, x))),
                Math.max(1, Math.min(h, screen.getHeight() - Math.max(0, y))));
        ImageView view = new ImageView(FxImages.toFx(crop));
        view.setPreserveRatio(true);
        view.setFitWidth(Math.min(560, crop.getWidth()));
        Alert ask = new Alert(Alert.AlertType.CONFIRMATION, "", ButtonType.OK, ButtonType.CANCEL);
        ask.initOwner(owner);
        ask.setTitle(i18n.t("chat.screenshot"));
        ask.setHeaderText(i18n.t("screenshot.preview"));
        ask.setGraphic(null);
        ask.getDialogPane().setContent(view);
        ask.getDialogPane().setId("screenshotPreview");
        ask.showAndWait().filter(b -> b == ButtonType.OK).ifPresent(b -> vm.sendScreenshot(screen, x, y, w, h));
    }
}

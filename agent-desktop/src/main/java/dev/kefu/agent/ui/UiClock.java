package dev.kefu.agent.ui;

import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.beans.property.LongProperty;
import javafx.beans.property.ReadOnlyLongProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.util.Duration;

/** The wall clock as a property ticking every second, for waiting times and time on site. FX thread only. */
public final class UiClock {
    private final LongProperty now = new SimpleLongProperty(System.currentTimeMillis());
    private final Timeline timeline = new Timeline(new KeyFrame(Duration.seconds(1),
            e -> now.set(System.currentTimeMillis())));

    public UiClock() {
        timeline.setCycleCount(Timeline.INDEFINITE);
        timeline.play();
    }

    /** Epoch ms, updated every second. */
    public ReadOnlyLongProperty nowProperty() {
        return now;
    }

    public long now() {
        return now.get();
    }

    public void stop() {
        timeline.stop();
    }
}

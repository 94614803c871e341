package dev.kefu.agent.testing;

import dev.kefu.agent.notify.Alert;
import dev.kefu.agent.notify.AlertSink;
import dev.kefu.agent.notify.Sound;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A sound that counts instead of playing, and an alert sink that records. */
public final class Silent implements Sound, AlertSink {
    public final List<Alert> shown = new CopyOnWriteArrayList<>();
    public volatile int plays;
    public volatile int badge;

    @Override
    public void play() {
        plays++;
    }

    @Override
    public void show(Alert alert) {
        shown.add(alert);
    }

    @Override
    public void badge(int count) {
        badge = count;
    }
}

package dev.kefu.agent.ui;

import javafx.application.Platform;

/**
 * The one way onto the JavaFX thread: runs now when already on it, else queues it there. Services
 * never call this; view models do, when a service's listener fires on the services thread.
 */
public final class UiThread {
    private UiThread() {}

    public static void run(Runnable work) {
        if (Platform.isFxApplicationThread()) {
            work.run();
        } else {
            Platform.runLater(work);
        }
    }
}

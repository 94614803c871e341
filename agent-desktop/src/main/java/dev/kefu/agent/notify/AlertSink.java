package dev.kefu.agent.notify;

/** Where alerts are shown: desktop notifications and the tray badge. Called on the services thread. */
public interface AlertSink {
    void show(Alert alert);

    /** Waiting visitors plus unread messages; 0 clears the badge. */
    void badge(int count);
}

package dev.kefu.agent.notify;

/** The alert sound. Must return at once (play in the background). */
public interface Sound {
    void play();
}

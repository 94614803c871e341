package dev.kefu.agent.notify;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.LineUnavailableException;
import javax.sound.sampled.SourceDataLine;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * A short two-note chime generated in memory (no sound file), played through {@code javax.sound}
 * on its own thread. A machine without an audio device logs once and stays silent.
 */
public final class ToneSound implements Sound, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ToneSound.class);
    private static final float RATE = 44_100f;
    private static final AudioFormat FORMAT = new AudioFormat(RATE, 16, 1, true, false);

    private final byte[] pcm = chime();
    private final ExecutorService player = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kefu-sound");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean unavailable;

    @Override
    public void play() {
        if (unavailable) {
            return;
        }
        try {
            player.execute(this::playNow);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    private void playNow() {
        try (SourceDataLine line = AudioSystem.getSourceDataLine(FORMAT)) {
            line.open(FORMAT);
            line.start();
            line.write(pcm, 0, pcm.length);
            line.drain();
        } catch (LineUnavailableException | IllegalArgumentException | SecurityException e) {
            unavailable = true;
            log.info("no audio output ({}): alerts stay silent", e.toString());
        }
    }

    /** 880 Hz then 1320 Hz, 110 ms each, with 10 ms fades so the speaker does not click. */
    static byte[] chime() {
        int noteSamples = (int) (RATE * 0.11);
        int fade = (int) (RATE * 0.01);
        double[] freqs = {880, 1320};
        byte[] out = new byte[noteSamples * freqs.length * 2];
        int i = 0;
        for (double f : freqs) {
            for (int n = 0; n < noteSamples; n++) {
                double env = Math.min(1.0, Math.min(n, noteSamples - 1 - n) / (double) fade);
                short s = (short) (Math.sin(2 * Math.PI * f * n / RATE) * env * 0.35 * Short.MAX_VALUE);
                out[i++] = (byte) s;
                out[i++] = (byte) (s >> 8);
            }
        }
        return out;
    }

    @Override
    public void close() {
        player.shutdownNow();
    }
}

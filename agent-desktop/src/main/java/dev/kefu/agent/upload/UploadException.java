package dev.kefu.agent.upload;

/**
 * An upload that did not happen, with a message fit to show the agent. {@code reason} tells a
 * refusal that a retry cannot fix ({@link Reason#TOO_LARGE}, {@link Reason#TYPE_NOT_ALLOWED},
 * {@link Reason#REFUSED}) from one worth retrying later ({@link Reason#NETWORK}).
 */
public final class UploadException extends Exception {
    public enum Reason { TOO_LARGE, TYPE_NOT_ALLOWED, REFUSED, EXPIRED, NETWORK, UNREADABLE }

    private final Reason reason;

    public UploadException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /** Whether trying again later (e.g. when the network is back) may succeed. */
    public boolean retryable() {
        return reason == Reason.NETWORK || reason == Reason.EXPIRED;
    }
}

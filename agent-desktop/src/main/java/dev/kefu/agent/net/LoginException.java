package dev.kefu.agent.net;

/** A login that did not work, and why. */
public final class LoginException extends Exception {
    /** Why a login failed. */
    public enum Failure { WRONG_CREDENTIALS, UNREACHABLE, REFUSED }

    private final Failure failure;

    public LoginException(Failure failure, String message, Throwable cause) {
        super(message, cause);
        this.failure = failure;
    }

    public Failure failure() {
        return failure;
    }
}

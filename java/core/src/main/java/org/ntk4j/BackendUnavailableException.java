package org.ntk4j;

/** A backend was asked for (or an operation on it) that this machine or build cannot provide; the message says why. */
public class BackendUnavailableException extends NtkException {
    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}

package org.ntk4j;

/** A backend was asked for (or an operation on it) that this machine or build cannot provide; the message says why. */
public class BackendUnavailableException extends NtkException {
    /**
     * An exception with a message.
     *
     * @param message why the backend cannot run here, e.g. "no CUDA driver (libcuda.so.1)"
     */
    public BackendUnavailableException(String message) {
        super(message);
    }

    /**
     * An exception with a message and the exception that caused it.
     *
     * @param message why the backend cannot run here
     * @param cause   the underlying exception
     */
    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}

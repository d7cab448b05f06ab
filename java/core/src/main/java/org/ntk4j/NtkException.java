package org.ntk4j;

/** Base of every unchecked exception ntk4j throws; the message always names the problem. */
public class NtkException extends RuntimeException {
    /**
     * An exception with a message.
     *
     * @param message what went wrong, naming the problem
     */
    public NtkException(String message) {
        super(message);
    }

    /**
     * An exception with a message and the exception that caused it.
     *
     * @param message what went wrong, naming the problem
     * @param cause   the underlying exception
     */
    public NtkException(String message, Throwable cause) {
        super(message, cause);
    }
}

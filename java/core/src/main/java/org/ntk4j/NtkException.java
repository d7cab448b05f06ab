package org.ntk4j;

/** Base of every unchecked exception ntk4j throws; the message always names the problem. */
public class NtkException extends RuntimeException {
    public NtkException(String message) {
        super(message);
    }

    public NtkException(String message, Throwable cause) {
        super(message, cause);
    }
}

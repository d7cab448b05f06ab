package org.ntk4j;

/** Bad input from the caller: a shape mismatch, a non-finite value, an empty batch, an impossible size. */
public class InvalidInputException extends NtkException {
    /**
     * An exception with a message.
     *
     * @param message the problem, naming the argument, e.g. "x2 has 4 features per example but …"
     */
    public InvalidInputException(String message) {
        super(message);
    }
}

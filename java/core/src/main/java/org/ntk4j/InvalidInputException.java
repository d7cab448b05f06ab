package org.ntk4j;

/** Bad input from the caller: a shape mismatch, a non-finite value, an empty batch, an impossible size. */
public class InvalidInputException extends NtkException {
    public InvalidInputException(String message) {
        super(message);
    }
}

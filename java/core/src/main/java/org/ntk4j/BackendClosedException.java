package org.ntk4j;

/**
 * An operation on an {@link Ntk} (or a backend, or a prepared model) after {@code close()}. Calls that were already
 * running when {@code close()} was called finish normally; only calls that start afterwards get this exception.
 */
public class BackendClosedException extends NtkException {
    /** @param message names what is closed, e.g. "the cpu backend is closed" */
    public BackendClosedException(String message) {
        super(message);
    }
}

package org.ntk4j.io;

import java.io.IOException;

/** A file that is not a NumPy array ntk4j can read (wrong magic, dtype, order or shape); the message says which. */
public class NpyFormatException extends IOException {
    /**
     * An exception with a message.
     *
     * @param message the file and what is wrong with it
     */
    public NpyFormatException(String message) {
        super(message);
    }
}

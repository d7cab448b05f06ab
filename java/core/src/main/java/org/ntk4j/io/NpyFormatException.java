package org.ntk4j.io;

import java.io.IOException;

/**
 * A file that is not a NumPy array or archive ntk4j can read (wrong magic, header, dtype, order, shape, length or
 * checksum). The message starts with the file's name and says what was found; {@link #file()} is that name.
 */
public class NpyFormatException extends IOException {
    private final String file;

    /** {@code file} names the file (or "archive:member"); {@code problem} says what is wrong with it. */
    public NpyFormatException(String file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /** The file (or "archive:member") the problem is in. */
    public String file() {
        return file;
    }
}

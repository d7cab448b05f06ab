package org.ntk4j.io;

import java.nio.file.FileSystemException;

/** Another writer (another process, or another writer in this one) is writing the same file right now. */
public class OutputInUseException extends FileSystemException {
    /**
     * An exception naming the file and why.
     *
     * @param file   the file
     * @param reason who is writing it
     */
    public OutputInUseException(String file, String reason) {
        super(file, null, reason);
    }
}

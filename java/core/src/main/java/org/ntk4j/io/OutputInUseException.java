package org.ntk4j.io;

import java.nio.file.FileSystemException;

/** Another writer (another process, or another {@link OutputFile} of this one) is writing the same file right now. */
public class OutputInUseException extends FileSystemException {
    public OutputInUseException(String file, String reason) {
        super(file, null, reason);
    }
}

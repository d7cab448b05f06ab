package org.ntk4j.cli;

/** A problem with what the user asked for (a missing file, a wrong shape, a bad flag value): one line, exit code 2. */
public final class UsageError extends RuntimeException {
    /**
     * A usage error with nothing behind it.
     *
     * @param message the one line printed after the command's name
     */
    public UsageError(String message) {
        super(message);
    }

    /**
     * A usage error found through another exception (shown with --verbose).
     *
     * @param message the one line printed after the command's name
     * @param cause   the exception that revealed it
     */
    public UsageError(String message, Throwable cause) {
        super(message, cause);
    }
}

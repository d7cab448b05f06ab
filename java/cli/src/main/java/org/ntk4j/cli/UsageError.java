package org.ntk4j.cli;

/** A problem with what the user asked for (a missing file, a wrong shape, a bad flag value): one line, exit code 2. */
public final class UsageError extends RuntimeException {
    public UsageError(String message) {
        super(message);
    }

    public UsageError(String message, Throwable cause) {
        super(message, cause);
    }
}

package org.ntk4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import org.ntk4j.BackendUnavailableException;
import org.ntk4j.InvalidInputException;
import org.ntk4j.NtkException;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns every failure into one line on stderr and an exit code: 2 for what a user can fix (bad flags, missing or
 * malformed files, shapes, no GPU), 1 for anything else. The stack trace is printed only with {@code --verbose}.
 */
final class Errors {
    static final int USAGE = 2;
    static final int INTERNAL = 1;

    private Errors() {
    }

    static int onParameterException(ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        String name = cl.getCommandSpec().qualifiedName(" ");
        String message = ex.getMessage();
        if (ex instanceof UnmatchedArgumentException u) {
            message = u.getUnmatched().stream().map(a -> RenamedFlags.message(cl.getCommandSpec(), a))
                    .flatMap(java.util.Optional::stream).findFirst().orElse(message);
        }
        err.println(name + ": " + message + " (see '" + name + " --help')");
        if (verbose(args)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return USAGE;
    }

    static int onExecutionException(Exception ex, CommandLine cl, ParseResult parsed) {
        PrintWriter err = cl.getErr();
        String name = cl.getCommandSpec().qualifiedName(" ");
        Throwable t = unwrap(ex);
        boolean user = isUserError(t);
        err.println(name + ": " + (user ? "" : "internal error: ") + describe(t)
                + (user || verbose(parsed.originalArgs().toArray(String[]::new)) ? "" : " (run with --verbose for details)"));
        if (verbose(parsed.originalArgs().toArray(String[]::new))) {
            t.printStackTrace(err);
        }
        err.flush();
        return user ? USAGE : INTERNAL;
    }

    /** Also used by commands that catch an OutOfMemoryError themselves. */
    static String describe(Throwable t) {
        if (t instanceof NoSuchFileException e) {
            return e.getReason() == null ? "file not found: " + e.getFile() : e.getFile() + ": " + e.getReason();
        }
        if (t instanceof AccessDeniedException e) {
            return "permission denied: " + e.getFile();
        }
        if (t instanceof FileAlreadyExistsException e) {
            return "already exists: " + e.getFile();
        }
        if (t instanceof NotDirectoryException e) {
            return "not a directory: " + e.getFile();
        }
        if (t instanceof FileSystemException e) {
            String reason = e.getReason() == null ? e.getClass().getSimpleName() : e.getReason();
            if (reason.startsWith("Too many levels of symbolic links")) {
                reason = "symbolic link loop (too many levels of symbolic links)";
            }
            return e.getFile() + ": " + reason;
        }
        if (t instanceof OutOfMemoryError) {
            return "out of memory; lower --memory or give Java more heap (e.g. NTK_JAVA_OPTS=-Xmx16g)";
        }
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            return t.getClass().getSimpleName();
        }
        return isUserError(t) || t instanceof NtkException ? m : t.getClass().getSimpleName() + ": " + m;
    }

    static boolean isUserError(Throwable t) {
        return t instanceof UsageError || t instanceof InvalidInputException || t instanceof BackendUnavailableException
                || t instanceof IOException || t instanceof OutOfMemoryError;
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof UncheckedIOException || t instanceof CommandLine.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static boolean verbose(String[] args) {
        for (String a : args) {
            if (a.equals("--verbose")) {
                return true;
            }
            if (a.equals("--")) {
                return false;
            }
        }
        return false;
    }
}

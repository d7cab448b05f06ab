package org.ntk4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * An output written under {@code OUT.partial} and renamed to {@code OUT} only when complete, so an interrupted run
 * (Ctrl-C, a kill, an error) never leaves a file that looks finished. A shutdown hook deletes the partial file if
 * the JVM stops before {@link #commit}.
 */
final class PartialFile implements AutoCloseable {
    private final Path target;
    private final Path partial;
    private final Thread hook;
    private boolean committed;

    PartialFile(Path target) throws IOException {
        Inputs.requireWritable(target);
        this.target = target;
        this.partial = target.resolveSibling(target.getFileName() + ".partial");
        Files.deleteIfExists(partial);
        this.hook = new Thread(this::deleteQuietly, "ntk-partial-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Where to write. */
    Path path() {
        return partial;
    }

    Path target() {
        return target;
    }

    /** Renames the finished file into place (atomically where the file system allows). */
    void commit() throws IOException {
        try {
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.AtomicMoveNotSupportedException e) {
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
        }
        committed = true;
    }

    /** Deletes the partial file unless committed, and drops the shutdown hook. */
    @Override
    public void close() {
        if (!committed) {
            deleteQuietly();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs anyway
        }
    }

    private void deleteQuietly() {
        if (!committed) {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException e) {
                System.err.println("ntk: could not remove unfinished " + partial + " (" + e.getMessage() + ")");
            }
        }
    }
}

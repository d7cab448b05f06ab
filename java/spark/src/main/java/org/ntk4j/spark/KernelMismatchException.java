package org.ntk4j.spark;

import org.ntk4j.InvalidInputException;

/** A tile directory holds (part of) another kernel, or something that is not a tile directory at all. */
public final class KernelMismatchException extends InvalidInputException {
    private static final long serialVersionUID = 1L;

    /**
     * A directory that cannot take or give these tiles.
     *
     * @param message the directory and why: the manifest fields that differ, a missing manifest, or not a directory
     */
    public KernelMismatchException(String message) {
        super(message);
    }
}

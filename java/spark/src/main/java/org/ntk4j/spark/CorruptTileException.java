package org.ntk4j.spark;

import org.ntk4j.NtkException;

/** A tile file whose size or header does not match its place in the kernel: it is never used as is. */
public final class CorruptTileException extends NtkException {
    private static final long serialVersionUID = 1L;

    /**
     * A tile that cannot be used.
     *
     * @param message the file and what does not match (size, shape or value type), with what to do about it
     */
    public CorruptTileException(String message) {
        super(message);
    }
}

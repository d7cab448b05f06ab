package org.ntk4j.spark;

import org.ntk4j.NtkException;

/**
 * Something under a tile's name that is not that tile of this kernel (a directory, a file whose size, header, position,
 * kernel identity or checksum does not match): it is never used as is, and the kernel job recomputes it.
 */
public final class CorruptTileException extends NtkException {
    private static final long serialVersionUID = 1L;

    /**
     * A tile that cannot be used.
     *
     * @param message the file and what does not match, with what to do about it
     */
    public CorruptTileException(String message) {
        super(message);
    }
}

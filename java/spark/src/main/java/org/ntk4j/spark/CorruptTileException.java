package org.ntk4j.spark;

import org.ntk4j.NtkException;

/** A tile file whose size or header does not match its place in the kernel: it is never used as is. */
public final class CorruptTileException extends NtkException {
    private static final long serialVersionUID = 1L;

    public CorruptTileException(String message) {
        super(message);
    }
}

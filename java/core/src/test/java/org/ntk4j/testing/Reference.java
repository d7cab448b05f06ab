package org.ntk4j.testing;

import org.ntk4j.Ntk;
import org.ntk4j.spi.Backend;

/** The fp64 reference backend for tests outside ntk4j-core, reached the way users reach it: by name. */
public final class Reference {
    private static final Backend BACKEND = Ntk.builder().backend("reference").open().backend();

    private Reference() {
    }

    /** The shared instance (the reference holds nothing, so it is never closed). */
    public static Backend backend() {
        return BACKEND;
    }
}

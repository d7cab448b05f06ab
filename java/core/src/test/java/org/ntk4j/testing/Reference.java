package org.ntk4j.testing;

import org.ntk4j.Ntk;
import org.ntk4j.Precision;
import org.ntk4j.spi.Backend;

/** The fp64 reference backend for tests, reached the way users reach it: by name. */
public final class Reference {
    private static final Backend BACKEND = Providers.open("reference", Precision.FP64);
    private static final Ntk NTK = Ntk.builder().backend("reference").precision(Precision.FP64).open();

    private Reference() {
    }

    /** The shared backend, for tests of the backend contract (the reference holds nothing, so it is never closed). */
    public static Backend backend() {
        return BACKEND;
    }

    /** The shared instance through the public API (never closed, as {@link #backend()}). */
    public static Ntk ntk() {
        return NTK;
    }
}

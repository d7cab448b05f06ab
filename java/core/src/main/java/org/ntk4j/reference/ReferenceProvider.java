package org.ntk4j.reference;

import org.ntk4j.spi.Backend;
import org.ntk4j.spi.BackendConfig;
import org.ntk4j.spi.BackendProvider;

/**
 * The fp64 reference, {@code "reference"}: always available, never picked by {@code "auto"}, and always fp64 whatever
 * precision is asked for (it is the oracle the others are held to). It takes no options.
 */
public final class ReferenceProvider implements BackendProvider {
    /** For the service loader. */
    public ReferenceProvider() {
    }

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public boolean autoSelectable() {
        return false;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public Backend open(BackendConfig config) {
        config.requireOnly("reference");
        return new ReferenceBackend();
    }
}

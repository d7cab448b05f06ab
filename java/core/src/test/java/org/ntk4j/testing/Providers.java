package org.ntk4j.testing;

import org.ntk4j.InvalidInputException;
import org.ntk4j.Ntk;
import org.ntk4j.Precision;
import org.ntk4j.spi.Backend;
import org.ntk4j.spi.BackendConfig;
import org.ntk4j.spi.BackendProvider;

/**
 * A backend opened through its provider, as a backend implementer reaches it (the SPI): for tests of the backend
 * contract, which call a {@link Backend} directly rather than through {@link Ntk}.
 */
public final class Providers {
    private Providers() {
    }

    /** Opens the backend named {@code name} in {@code precision} with its default settings; the caller closes it. */
    public static Backend open(String name, Precision precision) {
        return java.util.ServiceLoader.load(BackendProvider.class).stream().map(java.util.ServiceLoader.Provider::get)
                .filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow(() -> new InvalidInputException("no provider named " + name))
                .open(BackendConfig.of(precision));
    }
}

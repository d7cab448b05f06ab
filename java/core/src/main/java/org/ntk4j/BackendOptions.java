package org.ntk4j;

import java.util.Map;

/**
 * A backend's settings in typed form: {@link Ntk.Builder#backend(BackendOptions)} picks the backend they belong to
 * and passes them on in the string form that {@link Ntk.Builder#option(String, String)} (and the CLI) use.
 */
public sealed interface BackendOptions permits CpuOptions, CudaOptions {
    /**
     * The backend these settings are for.
     *
     * @return its provider name, e.g. {@code "cpu"}
     */
    String backend();

    /**
     * The settings as the backend's string options.
     *
     * @return option names to values, a new map
     */
    Map<String, String> asOptions();
}

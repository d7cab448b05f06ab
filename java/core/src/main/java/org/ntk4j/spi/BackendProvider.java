package org.ntk4j.spi;

/**
 * Makes a backend findable: listed in {@code META-INF/services/org.ntk4j.spi.BackendProvider} (class path) or
 * declared with {@code provides org.ntk4j.spi.BackendProvider with …} (module path), asked whether it can run here,
 * and opened with a {@link BackendConfig}. A new backend needs nothing in ntk4j-core beyond this.
 *
 * <p>{@link org.ntk4j.Ntk} finds providers by {@link #name()}; for {@code "auto"} it takes the available provider
 * of highest {@link #rank()} among those that {@link #autoSelectable()} allows.
 */
public interface BackendProvider {

    /** The name users ask for, lower case, unique among providers: e.g. {@code "cpu"}, {@code "cuda"}. */
    String name();

    /** Higher wins under {@code "auto"}: CUDA 100, CPU 10. */
    int rank();

    /** Whether {@code "auto"} may pick this backend (false for the slow fp64 reference). */
    default boolean autoSelectable() {
        return true;
    }

    /**
     * Null when this backend can run here, else a one-line reason (e.g. "no CUDA driver (libcuda.so.1)"). Must be
     * cheap after the first call and must never crash the JVM.
     */
    String unavailableReason();

    /**
     * Facts about this backend on this machine for display (device name, memory, BLAS in use, …), in display order;
     * empty when unavailable. Must not open a backend if that is expensive.
     */
    default java.util.Map<String, String> properties() {
        return java.util.Map.of();
    }

    /**
     * Opens an instance. Throws {@link org.ntk4j.BackendUnavailableException} if it cannot run here and
     * {@link org.ntk4j.InvalidInputException} for a configuration it does not support (an unknown option, a
     * precision it lacks), naming the problem.
     */
    Backend open(BackendConfig config);
}

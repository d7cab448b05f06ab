package org.ntk4j;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.ntk4j.spi.BackendProvider;

/**
 * One backend found on the class path or module path, as {@link Ntk#backends()} describes it: the name to pass to
 * {@link Ntk.Builder#backend(String)}, whether it can run here and, if not, why. Immutable; safe to share.
 */
public final class BackendInfo {
    private final BackendProvider provider;
    private final Optional<String> unavailableReason;

    BackendInfo(BackendProvider provider) {
        this.provider = provider;
        this.unavailableReason = Optional.ofNullable(provider.unavailableReason());
    }

    /**
     * The name {@link Ntk.Builder#backend(String)} takes, lower case: e.g. {@code "cpu"}, {@code "cuda"}.
     *
     * @return the name
     */
    public String name() {
        return provider.name();
    }

    /**
     * Higher wins under {@link Ntk#AUTO}: CUDA 100, CPU 10.
     *
     * @return the rank
     */
    public int rank() {
        return provider.rank();
    }

    /**
     * Whether {@link Ntk#AUTO} may pick this backend (false for the slow fp64 reference).
     *
     * @return true unless {@link Ntk#AUTO} passes it over
     */
    public boolean autoSelectable() {
        return provider.autoSelectable();
    }

    /**
     * Whether this backend can run here.
     *
     * @return true when {@link #unavailableReason()} is empty
     */
    public boolean available() {
        return unavailableReason.isEmpty();
    }

    /**
     * Why this backend cannot run here, in one line (e.g. "no CUDA driver (libcuda.so.1)").
     *
     * @return empty when it can run here
     */
    public Optional<String> unavailableReason() {
        return unavailableReason;
    }

    /**
     * Facts about this backend on this machine for display (device, driver, BLAS in use, measured GEMM rates, …),
     * in display order. Asked of the backend on each call, and may take a moment (the CPU backend times its GEMM).
     *
     * @return name → value, in display order; unmodifiable
     */
    public Map<String, String> properties() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(provider.properties()));
    }

    @Override
    public String toString() {
        return name() + unavailableReason.map(why -> " (unavailable: " + why + ")").orElse(" (available)");
    }
}

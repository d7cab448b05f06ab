package org.ntk4j;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The CUDA backend's settings (ntk4j-cuda; {@code Ntk.builder().backend(CudaOptions.defaults().withDevice(1))}):
 * {@link #defaults()}, then one {@code with…} per setting, each checked where it is given. Immutable.
 */
public final class CudaOptions implements BackendOptions {
    private final int device;
    private final double memoryFraction;
    private final Gram gram;
    private final Optional<String> cublasPath;
    private final boolean poison;

    /** Who computes the Gram products. */
    public enum Gram {
        /** ntk4j's own kernels. */
        NATIVE,
        /** cuBLAS. */
        CUBLAS
    }

    private CudaOptions(int device, double memoryFraction, Gram gram, Optional<String> cublasPath, boolean poison) {
        this.device = device;
        this.memoryFraction = memoryFraction;
        this.gram = gram;
        this.cublasPath = cublasPath;
        this.poison = poison;
    }

    /**
     * The defaults: device 0, 0.8 of free memory, ntk4j's Gram kernels, cuBLAS found by the usual search, no
     * poisoning.
     *
     * @return the settings
     */
    public static CudaOptions defaults() {
        return new CudaOptions(0, 0.8, Gram.NATIVE, Optional.empty(), false);
    }

    /**
     * These settings on another device.
     *
     * @param ordinal the device ordinal, ≥ 0
     * @return new settings
     * @throws InvalidInputException when the ordinal is negative
     */
    public CudaOptions withDevice(int ordinal) {
        if (ordinal < 0) {
            throw new InvalidInputException("device must be non-negative, got " + ordinal);
        }
        return new CudaOptions(ordinal, memoryFraction, gram, cublasPath, poison);
    }

    /**
     * These settings with another share of free device memory, used by a call without a memory budget.
     *
     * @param fraction in (0, 1]
     * @return new settings
     * @throws InvalidInputException when the fraction is outside (0, 1]
     */
    public CudaOptions withMemoryFraction(double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new InvalidInputException("memoryFraction must be in (0, 1], got " + fraction);
        }
        return new CudaOptions(device, fraction, gram, cublasPath, poison);
    }

    /**
     * These settings with another Gram implementation.
     *
     * @param g ntk4j's kernels or cuBLAS
     * @return new settings
     * @throws InvalidInputException when {@code g} is null
     */
    public CudaOptions withGram(Gram g) {
        if (g == null) {
            throw new InvalidInputException("gram must be given");
        }
        return new CudaOptions(device, memoryFraction, g, cublasPath, poison);
    }

    /**
     * These settings loading cuBLAS from this file instead of by the usual search ({@link #defaults()}'s choice).
     *
     * @param path the library file
     * @return new settings
     * @throws InvalidInputException when the path is null or blank
     */
    public CudaOptions withCublasPath(String path) {
        if (path == null || path.isBlank()) {
            throw new InvalidInputException("the cuBLAS path must be a file name (leave it unset for the usual"
                    + " search)");
        }
        return new CudaOptions(device, memoryFraction, gram, Optional.of(path), poison);
    }

    /**
     * These settings with output poisoning on or off.
     *
     * @param on whether outputs are NaN-filled before each call (for testing that every value is written)
     * @return new settings
     */
    public CudaOptions withPoison(boolean on) {
        return new CudaOptions(device, memoryFraction, gram, cublasPath, on);
    }

    /**
     * The device ordinal.
     *
     * @return ≥ 0
     */
    public int device() {
        return device;
    }

    /**
     * The share of free device memory one call may use without a memory budget.
     *
     * @return in (0, 1]
     */
    public double memoryFraction() {
        return memoryFraction;
    }

    /**
     * Who computes the Gram products.
     *
     * @return the implementation
     */
    public Gram gram() {
        return gram;
    }

    /**
     * The cuBLAS library file to load.
     *
     * @return empty for the usual search
     */
    public Optional<String> cublasPath() {
        return cublasPath;
    }

    /**
     * Whether outputs are NaN-filled before each call.
     *
     * @return true when poisoning
     */
    public boolean poison() {
        return poison;
    }

    @Override
    public String backend() {
        return "cuda";
    }

    @Override
    public Map<String, String> asOptions() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("device", Integer.toString(device));
        m.put("memoryFraction", Double.toString(memoryFraction));
        m.put("gram", gram.name().toLowerCase(Locale.ROOT));
        cublasPath.ifPresent(p -> m.put("cublasPath", p));
        m.put("poison", Boolean.toString(poison));
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CudaOptions c && device == c.device && Double.compare(memoryFraction, c.memoryFraction) == 0
                && gram == c.gram && cublasPath.equals(c.cublasPath) && poison == c.poison;
    }

    @Override
    public int hashCode() {
        return Objects.hash(device, memoryFraction, gram, cublasPath, poison);
    }

    @Override
    public String toString() {
        return "CudaOptions" + asOptions();
    }
}

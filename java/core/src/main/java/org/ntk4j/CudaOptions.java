package org.ntk4j;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The CUDA backend's settings (ntk4j-cuda; {@code Ntk.builder().backend(CudaOptions.defaults().withDevice(1))}).
 *
 * @param device         the device ordinal, ≥ 0
 * @param memoryFraction the share of free device memory one call may use without a memory budget, in (0, 1]
 * @param gram           who computes the Gram products
 * @param cublasPath     the cuBLAS library to load, or null for the default search
 * @param poison         whether outputs are NaN-filled before each call (for testing that every value is written)
 */
public record CudaOptions(int device, double memoryFraction, Gram gram, String cublasPath, boolean poison)
        implements BackendOptions {

    /** Who computes the Gram products. */
    public enum Gram {
        /** ntk4j's own kernels. */
        NATIVE,
        /** cuBLAS. */
        CUBLAS
    }

    /**
     * Checks the settings.
     *
     * @throws InvalidInputException when a number is out of range or gram is null
     */
    public CudaOptions {
        if (device < 0) {
            throw new InvalidInputException("device must be non-negative, got " + device);
        }
        if (!(memoryFraction > 0 && memoryFraction <= 1)) {
            throw new InvalidInputException("memoryFraction must be in (0, 1], got " + memoryFraction);
        }
        if (gram == null) {
            throw new InvalidInputException("gram must be given");
        }
    }

    /**
     * The defaults: device 0, 0.8 of free memory, ntk4j's Gram kernels, cuBLAS found as usual, no poisoning.
     *
     * @return the settings
     */
    public static CudaOptions defaults() {
        return new CudaOptions(0, 0.8, Gram.NATIVE, null, false);
    }

    /**
     * These settings on another device.
     *
     * @param ordinal the device ordinal, ≥ 0
     * @return new settings
     */
    public CudaOptions withDevice(int ordinal) {
        return new CudaOptions(ordinal, memoryFraction, gram, cublasPath, poison);
    }

    /**
     * These settings with another share of free device memory.
     *
     * @param fraction in (0, 1]
     * @return new settings
     */
    public CudaOptions withMemoryFraction(double fraction) {
        return new CudaOptions(device, fraction, gram, cublasPath, poison);
    }

    /**
     * These settings with another Gram implementation.
     *
     * @param g ntk4j's kernels or cuBLAS
     * @return new settings
     */
    public CudaOptions withGram(Gram g) {
        return new CudaOptions(device, memoryFraction, g, cublasPath, poison);
    }

    /**
     * These settings loading cuBLAS from a given file.
     *
     * @param path the library file, or null for the default search
     * @return new settings
     */
    public CudaOptions withCublasPath(String path) {
        return new CudaOptions(device, memoryFraction, gram, path, poison);
    }

    /**
     * These settings with output poisoning on or off.
     *
     * @param on whether outputs are NaN-filled first
     * @return new settings
     */
    public CudaOptions withPoison(boolean on) {
        return new CudaOptions(device, memoryFraction, gram, cublasPath, on);
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
        m.put("gram", gram.name().toLowerCase(java.util.Locale.ROOT));
        if (cublasPath != null) {
            m.put("cublasPath", cublasPath);
        }
        m.put("poison", Boolean.toString(poison));
        return m;
    }
}

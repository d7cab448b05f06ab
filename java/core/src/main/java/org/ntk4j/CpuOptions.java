package org.ntk4j;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The CPU backend's settings ({@code Ntk.builder().backend(CpuOptions.defaults().withBlas(Blas.JAVA))}).
 *
 * @param blas              which BLAS: the process's library or the pure-Java one (see {@link Blas})
 * @param vectorApi         whether elementwise loops use the Vector API when its module is present
 * @param maxParameterChunk Jacobian columns per chunk in the Jacobian contraction, ≥ 1
 */
public record CpuOptions(Blas blas, boolean vectorApi, int maxParameterChunk) implements BackendOptions {
    /** The default {@link #maxParameterChunk}. */
    public static final int DEFAULT_MAX_PARAMETER_CHUNK = 8192;

    /**
     * Checks the settings.
     *
     * @throws InvalidInputException when blas is null or the chunk is below 1
     */
    public CpuOptions {
        if (blas == null) {
            throw new InvalidInputException("blas must be given");
        }
        if (maxParameterChunk < 1) {
            throw new InvalidInputException("maxParameterChunk must be at least 1, got " + maxParameterChunk);
        }
    }

    /**
     * The defaults: the process's BLAS choice ({@link Blas#fromProperty()}), the Vector API, chunks of
     * {@value #DEFAULT_MAX_PARAMETER_CHUNK} columns.
     *
     * @return the settings
     * @throws InvalidInputException when {@value Blas#PROPERTY} holds an unknown value
     */
    public static CpuOptions defaults() {
        return new CpuOptions(Blas.fromProperty(), true, DEFAULT_MAX_PARAMETER_CHUNK);
    }

    /**
     * These settings with another BLAS.
     *
     * @param choice the BLAS
     * @return new settings
     */
    public CpuOptions withBlas(Blas choice) {
        return new CpuOptions(choice, vectorApi, maxParameterChunk);
    }

    /**
     * These settings with the Vector API on or off.
     *
     * @param on whether to use it when its module is present
     * @return new settings
     */
    public CpuOptions withVectorApi(boolean on) {
        return new CpuOptions(blas, on, maxParameterChunk);
    }

    /**
     * These settings with another chunk size.
     *
     * @param columns Jacobian columns per chunk, ≥ 1
     * @return new settings
     */
    public CpuOptions withMaxParameterChunk(int columns) {
        return new CpuOptions(blas, vectorApi, columns);
    }

    @Override
    public String backend() {
        return "cpu";
    }

    @Override
    public Map<String, String> asOptions() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("blas", blas.value());
        m.put("vector", Boolean.toString(vectorApi));
        m.put("maxParameterChunk", Integer.toString(maxParameterChunk));
        return m;
    }
}

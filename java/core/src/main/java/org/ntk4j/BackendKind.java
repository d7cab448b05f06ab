package org.ntk4j;

/** Which backend computes. */
public enum BackendKind {
    /** CUDA when a device is present and the kernels load, otherwise CPU. */
    AUTO,
    /** Multi-threaded Java (Vector API) plus BLAS (the system OpenBLAS when installed). */
    CPU,
    /** Hand-written CUDA kernels through JCuda; fails with {@link BackendUnavailableException} if absent. */
    CUDA,
    /** The plain fp64 reference: slow and obvious, the oracle every other backend is tested against. */
    REFERENCE;

    /** Parses a backend name (any case). */
    public static BackendKind parse(String s) {
        for (BackendKind k : values()) {
            if (k.name().equalsIgnoreCase(s)) {
                return k;
            }
        }
        throw new InvalidInputException("unknown backend '" + s + "' (expected auto, cpu, cuda or reference)");
    }
}

package org.ntk4j.cpu;

/**
 * Which BLAS the CPU backend calls for its matrix products. The native library itself is chosen once per process
 * by {@link BlasSelection} (system property {@value BlasSelection#PROPERTY}); these choices take it or refuse it.
 */
public enum BlasChoice {
    /** The process's native BLAS when there is one (measured best of system and bundled), else the pure-Java one. */
    AUTO,
    /** The process's native BLAS, whichever it is; opening fails (saying why) when none loads. */
    NATIVE,
    /** The OpenBLAS shipped with ntk4j; opening fails when the process uses another library. */
    BUNDLED,
    /** The system's BLAS ({@code libblas.so.3}); opening fails when the process uses another library. */
    SYSTEM,
    /** dev.ludovic.netlib's pure-Java BLAS (Vector API when available): always there, much slower. */
    JAVA
}

package org.ntk4j.cpu;

/** Which BLAS the CPU backend calls for its matrix products. */
public enum BlasChoice {
    /** The system BLAS through JNI when it loads (OpenBLAS where installed), else the pure-Java one. */
    AUTO,
    /** The system BLAS through JNI ({@code libblas.so.3}); opening fails if it does not load. */
    NATIVE,
    /** dev.ludovic.netlib's pure-Java BLAS (Vector API when available): always there, much slower. */
    JAVA
}

package org.ntk4j;

/** Arithmetic precision of a backend. */
public enum Precision {
    /** Single precision storage and arithmetic; long reductions are blocked so the error grows slowly with P. */
    FP32,
    /** Double precision throughout. */
    FP64,
    /**
     * TF32 tensor-core products with fp32 accumulation (CUDA only, explicit opt-in): inputs keep 10 mantissa bits,
     * so the relative error of a Gram product is about 1e-3, not fp32's 1e-6.
     */
    TF32;

    /**
     * Parses {@code fp32}, {@code fp64} or {@code tf32} (any case).
     *
     * @param s the name
     * @return the precision
     * @throws InvalidInputException for any other name
     */
    public static Precision parse(String s) {
        for (Precision p : values()) {
            if (p.name().equalsIgnoreCase(s)) {
                return p;
            }
        }
        throw new InvalidInputException("unknown precision '" + s + "' (expected fp32, fp64 or tf32)");
    }
}

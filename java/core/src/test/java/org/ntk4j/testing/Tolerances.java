package org.ntk4j.testing;

import org.ntk4j.Precision;

/**
 * The one place test tolerances live: the largest relative Frobenius error ‖A − B‖_F/‖B‖_F accepted against the
 * fp64 reference, per precision, with the reason.
 */
public final class Tolerances {
    private Tolerances() {
    }

    /**
     * fp32: unit roundoff u = 6e-8. A dot product over P terms accumulated in blocks (or pairwise) errs by about
     * √P·u in the mean (P·u worst case); for the test models (P up to ~2·10^4) that is ~1e-6 to 1e-5 worst case
     * before the structured path's extra Gram products. 1e-5 keeps a margin of a few × over the typical 1e-6.
     */
    public static final double FP32 = 1e-5;

    /** fp64: u = 1.1e-16; the same growth bound gives ~1e-13 at these sizes. 1e-12 is the bar. */
    public static final double FP64 = 1e-12;

    /**
     * TF32: inputs rounded to 10 mantissa bits (u = 4.9e-4) before fp32 accumulation; errors of products average
     * out over long reductions to ~1e-4–1e-3 relative. 5e-3 is the bar.
     */
    public static final double TF32 = 5e-3;

    /** The tolerance for a precision. */
    public static double of(Precision p) {
        return switch (p) {
            case FP32 -> FP32;
            case FP64 -> FP64;
            case TF32 -> TF32;
        };
    }
}

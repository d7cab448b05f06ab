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

    /** fp32's unit roundoff, 2^-24. */
    public static final double FP32_UNIT_ROUNDOFF = 0x1p-24;

    /**
     * "fp32 error stays flat as P grows" (README): the error at the largest P may be at most this many times the
     * error at the smallest (or fp32's unit roundoff, if larger). √P growth over the tested range would be ~30×.
     */
    public static final double FP32_FLAT_FACTOR = 4;

    /** fp64: u = 1.1e-16; the same growth bound gives ~1e-13 at these sizes. 1e-12 is the bar. */
    public static final double FP64 = 1e-12;

    /**
     * The absolute error per entry an fp32 result may have where the exact value lies below fp32's smallest normal
     * number (about 1.2e-38): there a float keeps no relative precision (subnormal) or is 0, so a kernel entry of 1e-82
     * (a saturated erf after the last layer: φ'(z)² ≈ e^{-2z²}) comes back as 0 from any correct fp32 computation.
     */
    public static final double FP32_UNDERFLOW = Float.MIN_NORMAL;

    /**
     * The absolute floor per entry for a precision: {@link #FP32_UNDERFLOW} for fp32 and tf32, 0 for fp64.
     *
     * @param p the precision
     * @return the floor
     */
    public static double underflowFloor(org.ntk4j.Precision p) {
        return p == org.ntk4j.Precision.FP64 ? 0.0 : FP32_UNDERFLOW;
    }

    /**
     * TF32: inputs rounded to 10 mantissa bits (u = 4.9e-4) before fp32 accumulation; errors of products average
     * out over long reductions to ~1e-4–1e-3 relative. 5e-3 is the bar.
     */
    public static final double TF32 = 5e-3;

    /**
     * The fp32 bar for one result, from two measures of how much error fp32 arithmetic cannot avoid on this
     * particular problem (both 1 for a well-conditioned one, where the bar is {@link #FP32}):
     * <ul>
     *   <li>{@code sensitivity}: the relative change of the fp64 result when every input and parameter is moved by
     *       one fp32 rounding ({@link Conditioning#perturbed}) — an fp32 computation rounds its inputs that much,
     *       and its internal roundings add a small multiple (the CPU backend stayed below 16× over 3000 cases): the
     *       bar allows 50×;</li>
     *   <li>{@code magnitudeRatio}: ‖Σ|terms|‖/‖Σ terms‖ of the final sum (e.g. Σ_p |J1||J2| for a kernel): where
     *       terms cancel, independent fp32 roundings of the terms (≈ u each) no longer cancel with them, so the
     *       relative error grows by that ratio ({@link Conditioning#kernelMagnitude}, {@link Compare#forwardScale},
     *       {@link Compare#gradientScale}).</li>
     * </ul>
     * Hence max(FP32, 50·sensitivity, FP32·magnitudeRatio), capped at {@link #FP32_CAP}. Both widen the bar only for
     * cases where cancellation makes fp32 itself inexact (a cross kernel that nearly cancels, a gradient whose
     * per-example terms cancel, a bottleneck layer fed a cancelling sum). The same rule holds every backend (through
     * {@link Bars}); how often it widened, and how far, is counted ({@link #fp32Report()}).
     */
    public static double fp32(double sensitivity, double magnitudeRatio) {
        double bar = Math.min(FP32_CAP, Math.max(FP32, Math.max(50 * sensitivity, FP32 * magnitudeRatio)));
        FP32_BARS.incrementAndGet();
        if (bar > FP32) {
            FP32_WIDENED.incrementAndGet();
            FP32_WIDEST.accumulateAndGet(Double.doubleToLongBits(bar), (a, b) ->
                    Double.longBitsToDouble(a) >= Double.longBitsToDouble(b) ? a : b);
        }
        return bar;
    }

    /**
     * No fp32 result is accepted further than this from the reference, however ill-conditioned its case: 10× the
     * plain bar, 1.7e3 units of roundoff (the CPU battery and the CUDA tests pass under it).
     */
    public static final double FP32_CAP = 1e-4;

    private static final java.util.concurrent.atomic.AtomicLong FP32_BARS = new java.util.concurrent.atomic.AtomicLong();
    private static final java.util.concurrent.atomic.AtomicLong FP32_WIDENED =
            new java.util.concurrent.atomic.AtomicLong();
    private static final java.util.concurrent.atomic.AtomicLong FP32_WIDEST =
            new java.util.concurrent.atomic.AtomicLong(Double.doubleToLongBits(FP32));

    /**
     * One line for the test report: how many fp32 bars this JVM computed, how many were widened past
     * {@link #FP32}, and the widest.
     *
     * @return e.g. "fp32 bars: 1200, widened 37 (3.1%), widest 4.2e-05 (cap 1e-04)"
     */
    public static String fp32Report() {
        long n = FP32_BARS.get();
        long w = FP32_WIDENED.get();
        return String.format(java.util.Locale.ROOT, "fp32 bars: %d, widened %d (%.1f%%), widest %.1e (cap %.0e)", n,
                w, n == 0 ? 0.0 : 100.0 * w / n, Double.longBitsToDouble(FP32_WIDEST.get()), FP32_CAP);
    }

    /**
     * Infinite-width dual activations in closed form (relu, erf, identity, gelu) against an accurate quadrature, as
     * error relative to the Cauchy–Schwarz scale √(K(u,u)·K(v,v)) (K itself may cancel to nearly 0): both sides are
     * exact up to rounding and the quadrature's ~2e-13.
     */
    public static final double DUAL_CLOSED_FORM = 1e-12;

    /**
     * Dual activations without a closed form (tanh, a caller's φ) by the Hermite series, against the graded
     * quadrature or an exact formula, relative to the Cauchy–Schwarz scale: the series is truncated where a bound
     * on the rest reaches 1e-12, its coefficients are accurate to ~1e-14 and the graded reference to ~2e-13; the
     * worst measured is 9e-13. (The requirement is 1e-9; the bar is kept near what is achieved so that a
     * regression shows.)
     */
    public static final double DUAL_SERIES = 5e-12;

    /**
     * fp64 dense solves and eigendecompositions of a kernel (Cholesky, dsyevd, Gauss–Jordan) against each other:
     * each errs by about κ·u relative, κ the kernel's condition number, and a predictive covariance subtracts terms
     * of the prior's size, so its error relative to itself grows by ‖K_tt‖/‖Σ‖. On the test kernels (a few points)
     * the worst measured is 1.6e-14; 1e-12 keeps a margin of ~50×.
     */
    public static final double DENSE_SOLVE = 1e-12;

    /**
     * fp64 against an fp64 outside oracle (PyTorch) on tiny networks: the same sums in another order, so a few ulps
     * of the largest term, far below this bar.
     */
    public static final double TORCH_FP64 = 1e-10;

    /**
     * Derivatives against central differences with step h, relative Frobenius: the truncation error is O(h²)
     * (about 1e-12 relative at h = 1e-6 on the smooth test networks), and 1e-6 leaves room for curvature.
     */
    public static final double FINITE_DIFFERENCE = 1e-6;

    /**
     * The rounding floor of a central difference, per entry: each evaluation of a value of size |v| errs by a few
     * units of roundoff, so (v(θ+h) − v(θ−h))/2h errs by about 16·u·max(1, |v|)/h, whatever the derivative's size. A
     * tiny derivative (a deep width-1 chain at σ_w = 0.5 has gradients near 1e-5) sits close to that floor, where a
     * relative bar alone would fail a right answer; a wrong one still misses it by orders of magnitude.
     *
     * @param valueScale the size of the differenced values (a loss, or the largest output)
     * @param h          the step
     * @return the absolute error one entry may have from rounding alone
     */
    public static double finiteDifferenceFloor(double valueScale, double h) {
        return 16 * 0x1p-53 * Math.max(1, Math.abs(valueScale)) / h;
    }

    /** The tolerance for a precision. */
    public static double of(Precision p) {
        return switch (p) {
            case FP32 -> FP32;
            case FP64 -> FP64;
            case TF32 -> TF32;
        };
    }
}

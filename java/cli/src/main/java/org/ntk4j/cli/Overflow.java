package org.ntk4j.cli;

import java.util.Locale;
import org.ntk4j.Matrix;
import org.ntk4j.model.Architecture;

/**
 * Results that are not finite although every input is: an overflow (fp32 above 3.4e38, fp64 above 1.8e308) in the
 * network or the kernel. Never written silently: one line naming the first such value and what to change.
 */
final class Overflow {
    private Overflow() {
    }

    /**
     * Checks a block of a kernel whose rows start at example {@code i0} and columns at {@code j0} ({@code cols}
     * examples wide, {@code valuesPerPair} values each).
     */
    static void checkKernel(double[] values, int i0, int j0, int cols, int valuesPerPair, String advice) {
        for (int k = 0; k < values.length; k++) {
            if (!Double.isFinite(values[k])) {
                int pair = k / valuesPerPair;
                String at = "Θ[" + (i0 + pair / cols) + ", " + (j0 + pair % cols) + "]";
                throw new UsageError(describe(values[k], "the kernel", at) + "; " + advice);
            }
        }
    }

    /** Checks a matrix of results (one row per example); {@code what} names it, e.g. "the predictions". */
    static void checkRows(Matrix m, String what, String advice) {
        double[] d = m.data();
        for (int k = 0; k < d.length; k++) {
            if (!Double.isFinite(d[k])) {
                throw new UsageError(describe(d[k], what, "row " + k / m.cols() + ", column " + k % m.cols()) + "; "
                        + advice);
            }
        }
    }

    private static String describe(double v, String what, String at) {
        return Double.isNaN(v)
                ? what + " has NaN at " + at + " although the inputs are finite (a value overflowed on the way)"
                : what + " overflowed: " + at + " is " + v;
    }

    /** What to change, given the precision, the largest input magnitude and the architecture's scales. */
    static String advice(boolean fp32, double largestInput, Architecture arch) {
        String scales = String.format(Locale.ROOT, "the inputs reach |x| = %.3g, σ_w = %.3g%s", largestInput,
                arch.sigmaW(), arch.bias() ? String.format(Locale.ROOT, ", σ_b = %.3g", arch.sigmaB()) : "");
        return (fp32 ? "use --precision fp64 (fp32 overflows above 3.4e38) or rescale" : "rescale") + " (" + scales + ")";
    }

    /** The largest |x| over the matrices given (nulls skipped). */
    static double largest(Matrix... ms) {
        double max = 0;
        for (Matrix m : ms) {
            if (m != null) {
                for (double v : m.data()) {
                    max = Math.max(max, Math.abs(v));
                }
            }
        }
        return max;
    }
}

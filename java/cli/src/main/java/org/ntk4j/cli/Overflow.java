package org.ntk4j.cli;

import java.util.Locale;
import org.ntk4j.Matrix;
import org.ntk4j.Tensor;
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
    static void checkKernel(Tensor values, int i0, int j0, int cols, int valuesPerPair, Advice advice) {
        for (long k = 0; k < values.size(); k++) {
            double x = values.at(k);
            if (!advice.representable(x)) {
                long pair = k / valuesPerPair;
                String at = "Θ[" + (i0 + pair / cols) + ", " + (j0 + pair % cols) + "]";
                throw new UsageError(describe(x, "the kernel", at) + "; " + advice);
            }
        }
    }

    /** Checks a matrix of results (one row per example); {@code what} names it, e.g. "the predictions". */
    static void checkRows(Matrix m, String what, Advice advice) {
        double[] d = m.data();
        for (int k = 0; k < d.length; k++) {
            if (!advice.representable(d[k])) {
                throw new UsageError(describe(d[k], what, "row " + k / m.cols() + ", column " + k % m.cols()) + "; "
                        + advice);
            }
        }
    }

    private static String describe(double v, String what, String at) {
        return Double.isNaN(v)
                ? what + " has NaN at " + at + " although the inputs are finite (a value overflowed on the way)"
                : what + " overflowed: " + at + " is " + v + (Double.isFinite(v) ? ", beyond float32's range" : "");
    }

    /**
     * What to change when a result overflows, and the precision results are written in: a value finite in fp64 but
     * beyond 3.4e38 would be written as float32 infinity, so it counts as an overflow there.
     */
    record Advice(boolean float32, String text) {
        boolean representable(double v) {
            return Double.isFinite(v) && (!float32 || Math.abs(v) <= Float.MAX_VALUE);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /**
     * Refuses inputs whose squared norms overflow the precision: every kernel scales with xᵀx (the first layer's
     * term), so such inputs can only give infinities, reported before any work with their real cause. A value that
     * is not a number (NaN, ±Inf) is named as such, not as an overflow.
     */
    static void requireRepresentable(boolean fp32, String what, Matrix m) {
        requireRepresentable(fp32, what, m.asTensor());
    }

    /** As {@link #requireRepresentable(boolean, String, Matrix)}, for rows of any storage (a mapped file too). */
    static void requireRepresentable(boolean fp32, String what, org.ntk4j.Tensor rows) {
        double limit = fp32 ? Float.MAX_VALUE : Double.MAX_VALUE;
        long n = rows.shape().length == 0 ? 0 : rows.shape()[0];
        long cols = n == 0 ? 0 : rows.size() / n;
        for (long i = 0; i < n; i++) {
            double sq = 0;
            double largest = 0;
            for (long j = 0; j < cols; j++) {
                double v = rows.at(i * cols + j);
                if (!Double.isFinite(v)) { // not an overflow of the norm: the input itself is not a number
                    throw new UsageError(what + ": contains " + v + " at row " + i + ", column " + j);
                }
                sq += v * v;
                largest = Math.max(largest, Math.abs(v));
            }
            if (!(sq <= limit)) {
                // fp64 helps only where the squared norm fits it
                boolean fp64Helps = fp32 && sq <= Double.MAX_VALUE;
                throw new UsageError(String.format(Locale.ROOT, "%s row %d reaches |x| = %.2e: its squared norm, which"
                        + " every kernel scales with, overflows %s (above %.1e); %s", what, i, largest,
                        fp32 ? "fp32" : "fp64", limit, fp64Helps ? "use --precision fp64 or rescale the inputs"
                                : "rescale the inputs"));
            }
        }
    }

    /** What to change, given the precision, the largest input magnitude (NaN: not known here) and the scales. */
    static Advice advice(boolean fp32, double largestInput, Architecture arch) {
        String scales = (Double.isNaN(largestInput) ? ""
                : String.format(Locale.ROOT, "the inputs reach |x| = %.3g, ", largestInput)) + sigmas(arch);
        return new Advice(fp32, (fp32 ? "use --precision fp64 (fp32 overflows above 3.4e38) or rescale" : "rescale")
                + " (" + scales + (arch.layers() > 20 ? ", " + arch.layers() + " layers" : "") + ")");
    }

    /** σ_w (and σ_b) of an MLP, or the largest σ_w of a sequence whose layers have their own. */
    private static String sigmas(Architecture arch) {
        if (arch.isUniformMlp()) {
            return String.format(Locale.ROOT, "σ_w = %.3g%s", arch.sigmaW(),
                    arch.bias() ? String.format(Locale.ROOT, ", σ_b = %.3g", arch.sigmaB()) : "");
        }
        double largest = 0;
        for (int l = 0; l < arch.layers(); l++) {
            largest = Math.max(largest, arch.weighted(l).wStd());
        }
        return String.format(Locale.ROOT, "σ_w up to %.3g", largest);
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

package org.ntk4j.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import org.ntk4j.Matrix;
import org.ntk4j.Tensor;

/** Comparisons that say, on failure, which implementations differed, by how much and where. */
public final class Compare {
    private Compare() {
    }

    /** ‖a − b‖_F / ‖b‖_F (or ‖a − b‖_F when b = 0). */
    public static double relativeError(double[] actual, double[] expected) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = actual[i] - expected[i];
            num += d * d;
            den += expected[i] * expected[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /** Fails unless the relative Frobenius error is within tol and every value is finite. */
    public static void assertClose(String what, double[] actual, double[] expected, double tol) {
        if (actual.length != expected.length) {
            fail(what + ": " + actual.length + " values, expected " + expected.length);
        }
        for (int i = 0; i < actual.length; i++) {
            if (!Double.isFinite(actual[i])) {
                fail(what + ": non-finite value " + actual[i] + " at flat index " + i);
            }
        }
        double rel = relativeError(actual, expected);
        if (!(rel <= tol)) {
            int worst = 0;
            double worstAbs = -1;
            for (int i = 0; i < actual.length; i++) {
                double d = Math.abs(actual[i] - expected[i]);
                if (d > worstAbs) {
                    worstAbs = d;
                    worst = i;
                }
            }
            fail(String.format("%s: relative Frobenius error %.3e > %.1e; max |diff| %.3e at flat index %d (got %.10g,"
                    + " expected %.10g)", what, rel, tol, worstAbs, worst, actual[worst], expected[worst]));
        }
    }

    /**
     * For sums that may cancel (an MSE gradient Jᵀr/n, where terms of opposite sign meet): fails unless
     * ‖actual − expected‖ ≤ tol·‖scale‖, where scale is the same sum taken over absolute values (|J|ᵀ|r|/n).
     * Without cancellation ‖scale‖ ≈ ‖expected‖ and this is the relative test; with it, a backend is held to
     * the accuracy its precision can give, not to a relative error that no fp32 summation could reach.
     */
    public static void assertCloseScaled(String what, double[] actual, double[] expected, double[] scale, double tol) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < expected.length; i++) {
            if (!Double.isFinite(actual[i])) {
                fail(what + ": non-finite value " + actual[i] + " at flat index " + i);
            }
            double d = actual[i] - expected[i];
            num += d * d;
            den += scale[i] * scale[i];
        }
        double err = den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
        if (!(err <= tol)) {
            fail(String.format("%s: error %.3e of the absolute-value scale > %.1e (relative Frobenius error %.3e)",
                    what, err, tol, relativeError(actual, expected)));
        }
    }

    /** |J|ᵀ|f − y| / (N·O): the cancellation-free size of the MSE gradient Jᵀ(f − y)/(N·O). */
    public static double[] gradientScale(Matrix jacobian, Matrix f, Matrix y) {
        int p = jacobian.cols();
        double[] scale = new double[p];
        int rows = jacobian.rows();
        for (int r = 0; r < rows; r++) {
            double res = Math.abs(f.data()[r] - y.data()[r]) / rows;
            for (int q = 0; q < p; q++) {
                scale[q] += res * Math.abs(jacobian.data()[r * p + q]);
            }
        }
        return scale;
    }

    public static void assertClose(String what, Tensor actual, Tensor expected, double tol) {
        if (!Arrays.equals(actual.shape(), expected.shape())) {
            fail(what + ": shape " + Arrays.toString(actual.shape()) + ", expected " + Arrays.toString(expected.shape()));
        }
        assertClose(what, actual.data(), expected.data(), tol);
    }

    public static void assertClose(String what, Matrix actual, Matrix expected, double tol) {
        if (actual.rows() != expected.rows() || actual.cols() != expected.cols()) {
            fail(what + ": shape (" + actual.rows() + ", " + actual.cols() + "), expected (" + expected.rows() + ", "
                    + expected.cols() + ")");
        }
        assertClose(what, actual.data(), expected.data(), tol);
    }
}

package org.ntk4j.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import org.ntk4j.Matrix;
import org.ntk4j.Tensor;

/** Comparisons that say, on failure, which implementations differed, by how much and where. */
public final class Compare {
    private Compare() {
    }

    /** ‖a − b‖_F. */
    public static double absoluteError(double[] actual, double[] expected) {
        double num = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = actual[i] - expected[i];
            num += d * d;
        }
        return Math.sqrt(num);
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
        assertClose(what, actual, expected, tol, 0.0);
    }

    /**
     * Fails unless every value is finite and the relative Frobenius error is within tol, or the absolute Frobenius
     * error is within floor·√n (values below what the precision can hold: {@link Tolerances#underflowFloor}).
     */
    public static void assertClose(String what, double[] actual, double[] expected, double tol, double floor) {
        if (actual.length != expected.length) {
            fail(what + ": " + actual.length + " values, expected " + expected.length);
        }
        for (int i = 0; i < actual.length; i++) {
            if (!Double.isFinite(actual[i])) {
                fail(what + ": non-finite value " + actual[i] + " at flat index " + i);
            }
        }
        double rel = relativeError(actual, expected);
        if (!(rel <= tol) && !(absoluteError(actual, expected) <= floor * Math.sqrt(actual.length))) {
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

    /**
     * The cancellation-free size of f(x): the forward pass run on absolute values, each layer with weights reading
     * c·|W|·g + s·|b| with g^0 = |x|, each activation φ replaced by its Lipschitz bound L_φ = max|φ'| (pooling and
     * flatten as they are: they only average and move non-negative values) — the usual running bound on how far
     * rounding in each sum can move the output. Where f is a sum of terms that cancel, this, not |f|, is what an fp32
     * forward pass can be held to. Computed by the reference backend on that network: activations become the
     * identity, their L_φ folded into the next layer's |W| (the layers between are linear) or applied to the output.
     */
    public static double[] forwardScale(org.ntk4j.model.Parameters p, Matrix x) {
        org.ntk4j.model.Architecture a = p.architecture();
        java.util.List<org.ntk4j.model.Layer> layers = new java.util.ArrayList<>();
        double[][] w = new double[a.layers()][];
        double[][] b = new double[a.layers()][];
        double pending = 1;
        int l = 0;
        for (org.ntk4j.model.Layer layer : a.sequence()) {
            if (layer instanceof org.ntk4j.model.Elementwise e) {
                pending *= switch (e.activation()) {
                    case ERF -> 2 / Math.sqrt(Math.PI);
                    case GELU -> 1.13;
                    default -> 1.0;
                };
                layers.add(org.ntk4j.model.Layer.activation(org.ntk4j.model.Activation.IDENTITY));
                continue;
            }
            layers.add(layer);
            if (layer instanceof org.ntk4j.model.WeightedLayer) {
                w[l] = p.weights(l).clone();
                for (int i = 0; i < w[l].length; i++) {
                    w[l][i] = pending * Math.abs(w[l][i]);
                }
                if (p.bias(l) != null) {
                    b[l] = p.bias(l).clone();
                    for (int i = 0; i < b[l].length; i++) {
                        b[l][i] = Math.abs(b[l][i]);
                    }
                }
                pending = 1;
                l++;
            }
        }
        org.ntk4j.model.Architecture abs = org.ntk4j.model.Architecture.of(a.inputShape(), a.parameterization(),
                layers);
        double[] ax = x.data().clone();
        for (int i = 0; i < ax.length; i++) {
            ax[i] = Math.abs(ax[i]);
        }
        double[] out = new org.ntk4j.reference.ReferenceBackend().forward(org.ntk4j.model.Parameters.of(abs, w, b),
                new Matrix(x.rows(), x.cols(), ax)).data();
        for (int i = 0; i < out.length; i++) {
            out[i] *= pending;
        }
        return out;
    }

    public static void assertClose(String what, Tensor actual, Tensor expected, double tol) {
        assertClose(what, actual, expected, tol, 0.0);
    }

    /** As {@link #assertClose(String, double[], double[], double, double)}, with the shapes checked. */
    public static void assertClose(String what, Tensor actual, Tensor expected, double tol, double floor) {
        if (!Arrays.equals(actual.shape(), expected.shape())) {
            fail(what + ": shape " + Arrays.toString(actual.shape()) + ", expected " + Arrays.toString(expected.shape()));
        }
        assertClose(what, actual.doubles(), expected.doubles(), tol, floor);
    }

    public static void assertClose(String what, Matrix actual, Matrix expected, double tol) {
        assertClose(what, actual, expected, tol, 0.0);
    }

    /** As {@link #assertClose(String, double[], double[], double, double)}, with the shapes checked. */
    public static void assertClose(String what, Matrix actual, Matrix expected, double tol, double floor) {
        if (actual.rows() != expected.rows() || actual.cols() != expected.cols()) {
            fail(what + ": shape (" + actual.rows() + ", " + actual.cols() + "), expected (" + expected.rows() + ", "
                    + expected.cols() + ")");
        }
        assertClose(what, actual.data(), expected.data(), tol, floor);
    }
}

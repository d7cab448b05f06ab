package org.ntk4j.testing;

import java.util.SplittableRandom;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.model.Parameters;

/**
 * Measures of how much error fp32 arithmetic cannot avoid on a given problem (see {@link Tolerances#fp32}):
 * perturbations the size of one fp32 rounding (each value times 1 ± 2⁻²⁴, the sign drawn from a seed), and the
 * magnitude Σ|terms| of a kernel's final sums from reference Jacobians (the forward pass and the MSE gradient have
 * theirs in {@link Compare#forwardScale} and {@link Compare#gradientScale}).
 */
public final class Conditioning {
    private static final double U32 = 0x1p-24;

    private Conditioning() {
    }

    /**
     * ‖a‖_F / ‖b‖_F; 1 when b is zero (then {@link Compare} measures the absolute error, which no ratio should
     * scale).
     */
    public static double ratio(double[] a, double[] b) {
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return nb == 0 ? 1 : Math.sqrt(na / nb);
    }

    /**
     * Σ_p |J1[(n,a),p]|·|J2[(m,b),p]| reduced like the kernel in this mode (FULL: all (a, b); DIAGONAL: a = b;
     * TRACE: the mean of a = b), in the kernel's layout: the magnitude of the terms the kernel sums.
     */
    public static double[] kernelMagnitude(Matrix j1, Matrix j2, int outputs, NtkMode mode) {
        int n1 = j1.rows() / outputs;
        int n2 = j2.rows() / outputs;
        int p = j1.cols();
        Tensor full = Tensor.zeros(n1, n2, outputs, outputs);
        for (int r = 0; r < j1.rows(); r++) {
            for (int c = 0; c < j2.rows(); c++) {
                double s = 0;
                for (int q = 0; q < p; q++) {
                    s += Math.abs(j1.data()[r * p + q]) * Math.abs(j2.data()[c * p + q]);
                }
                full.data()[((r / outputs * n2 + c / outputs) * outputs + r % outputs) * outputs + c % outputs] = s;
            }
        }
        return mode.fromFull(full).data();
    }

    /** A copy with every value multiplied by 1 ± 2⁻²⁴; null stays null. */
    public static Matrix perturbed(Matrix m, long seed) {
        if (m == null) {
            return null;
        }
        SplittableRandom rng = new SplittableRandom(seed);
        double[] d = m.data().clone();
        for (int i = 0; i < d.length; i++) {
            d[i] *= 1 + (rng.nextBoolean() ? U32 : -U32);
        }
        return new Matrix(m.rows(), m.cols(), d);
    }

    /** A copy with every parameter multiplied by 1 ± 2⁻²⁴. */
    public static Parameters perturbed(Parameters p, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] flat = p.toFlat();
        for (int i = 0; i < flat.length; i++) {
            flat[i] *= 1 + (rng.nextBoolean() ? U32 : -U32);
        }
        Parameters q = p.copy();
        q.setFlat(flat);
        return q;
    }
}

package org.ntk4j.testing;

import java.util.SplittableRandom;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * One generated test case: a model, its seeded parameters, inputs x1 and (for cross kernels) x2, and a mode.
 *
 * @param x2 x1 itself (the same instance) for the symmetric case K(x1, x1); null is read as x1
 */
public record NtkCase(Architecture arch, long seed, Matrix x1, Matrix x2, NtkMode mode) {

    public NtkCase {
        x2 = x2 == null ? x1 : x2;
    }

    public Parameters params() {
        return Parameters.init(arch, seed);
    }

    public boolean symmetric() {
        return x2 == x1;
    }

    /** Standard-normal inputs from a seed, never all zero. */
    public static Matrix gaussianInputs(int n, int d, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] v = new double[n * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextGaussian();
        }
        return new Matrix(n, d, v);
    }

    /**
     * Inputs in {@code clusters} groups of consecutive rows (as data sorted by class is), each row scaled by e^u with
     * u uniform in (−0.7, 0.7) (unnormalised data): a kernel whose diagonal blocks hold much of its structure — the
     * case a block-Jacobi preconditioner is for.
     */
    public static Matrix clusteredInputs(int n, int d, int clusters, long seed) {
        Matrix centres = gaussianInputs(clusters, d, 99);
        Matrix noise = gaussianInputs(n, d, seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] v = new double[n * d];
        for (int i = 0; i < n; i++) {
            int c = (int) ((long) i * clusters / n);
            double s = Math.exp(rnd.nextDouble(-0.7, 0.7));
            for (int j = 0; j < d; j++) {
                v[i * d + j] = s * (centres.get(c, j) + 0.6 * noise.get(i, j));
            }
        }
        return new Matrix(n, d, v);
    }

    @Override
    public String toString() {
        return arch + " seed=" + seed + " N1=" + x1.rows() + (symmetric() ? " symmetric" : " N2=" + x2.rows()) + " " + mode;
    }
}

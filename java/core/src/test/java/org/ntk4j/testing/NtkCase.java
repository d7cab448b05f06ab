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

    @Override
    public String toString() {
        return arch + " seed=" + seed + " N1=" + x1.rows() + (symmetric() ? " symmetric" : " N2=" + x2.rows()) + " " + mode;
    }
}

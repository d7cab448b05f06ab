package org.ntk4j;

/**
 * The empirical NNGP of one network, the products of its outputs Σ_ab(x, x') = f_a(x)·f_b(x') (neural-tangents'
 * {@code empirical_nngp_fn}), laid out by mode as the NTK is: full (N1, N2, O, O), trace (N1, N2) the mean over
 * outputs of f_a(x)·f_a(x'), diagonal (N1, N2, O). Computed in fp64 from the outputs any backend's forward pass
 * gives, so every backend has it; it costs N1·N2·O² products, nothing beside the forward passes.
 */
final class EmpiricalNngp {
    private EmpiricalNngp() {
    }

    /**
     * Σ(x1, x2) from the outputs on both sides. With f2 the same instance as f1 the result is exactly symmetric
     * (each product is formed in the same order both ways).
     *
     * @param f1   f(x1), (N1, O)
     * @param f2   f(x2), (N2, O)
     * @param mode the layout
     * @return a new tensor in the mode's shape
     */
    static Tensor of(Matrix f1, Matrix f2, NtkMode mode) {
        int n1 = f1.rows();
        int n2 = f2.rows();
        int o = f1.cols();
        int per = mode.valuesPerPair(o);
        double[] out = new double[Math.multiplyExact(Math.multiplyExact(n1, n2), per)];
        double[] a = f1.data();
        double[] b = f2.data();
        for (int i = 0; i < n1; i++) {
            for (int j = 0; j < n2; j++) {
                int at = (i * n2 + j) * per;
                switch (mode) {
                    case FULL -> {
                        for (int p = 0; p < o; p++) {
                            for (int q = 0; q < o; q++) {
                                out[at + p * o + q] = a[i * o + p] * b[j * o + q];
                            }
                        }
                    }
                    case DIAGONAL -> {
                        for (int p = 0; p < o; p++) {
                            out[at + p] = a[i * o + p] * b[j * o + p];
                        }
                    }
                    case TRACE -> {
                        double s = 0;
                        for (int p = 0; p < o; p++) {
                            s += a[i * o + p] * b[j * o + p];
                        }
                        out[at] = s / o;
                    }
                }
            }
        }
        return new Tensor(mode.shape(n1, n2, o), out);
    }
}

package org.ntk4j.analytic;

/**
 * An activation's infinite-width map on a Gaussian input of covariance Σ: K = E[φ(u)φ(v)] and K̇ = E[φ'(u)φ'(v)]
 * for (u, v) ~ N(0, Σ restricted to the pair), by its {@link DualActivation}; Θ becomes K̇·Θ, left pending for the
 * next dense layer (see {@link KernelState#kd}).
 */
final class AnalyticElementwise implements AnalyticLayer {
    private final DualActivation dual;

    AnalyticElementwise(DualActivation dual) {
        this.dual = dual;
    }

    @Override
    public void pairs(KernelState s) {
        int n2 = s.n2;
        boolean symmetric = s.symmetric;
        DualActivation.Side[] both = symmetric ? null : dual.sides(s.s11, s.s22);
        DualActivation.Side rows = symmetric ? dual.side(s.s11) : both[0];
        DualActivation.Side cols = symmetric ? rows : both[1];
        double[] k12 = s.k;
        double[] kd12 = new double[k12.length];
        AnalyticKernel.forEachRowBlock(s.n1, n2, symmetric, dual.closedForm() ? 1 : 8, (from, to) -> {
            double[] k = new double[n2];
            double[] kd = new double[n2];
            for (int i = from; i < to; i++) {
                int j0 = symmetric ? i : 0;
                int row = i * n2;
                dual.evaluateRow(rows, i, cols, j0, n2, k12, row + j0, k, kd);
                System.arraycopy(k, 0, k12, row + j0, n2 - j0);
                System.arraycopy(kd, 0, kd12, row + j0, n2 - j0);
            }
        });
        s.kd = kd12;
        s.s11 = selfCovariances(rows);
        s.s22 = symmetric ? s.s11 : selfCovariances(cols);
    }

    @Override
    public void diagonal(KernelState s) {
        DualActivation.Side side = dual.side(s.k);
        double[] out = new double[2];
        double[] kd = new double[s.k.length];
        for (int i = 0; i < kd.length; i++) {
            dual.selfTerms(side, i, out);
            s.k[i] = out[0];
            kd[i] = out[1];
        }
        s.kd = kd;
        s.s11 = s.k;
    }

    /** K(x, x) = E[φ(u)²] of a side's inputs. */
    private double[] selfCovariances(DualActivation.Side side) {
        double[] out = new double[2];
        double[] k = new double[side.size()];
        for (int i = 0; i < k.length; i++) {
            dual.selfTerms(side, i, out);
            k[i] = out[0];
        }
        return k;
    }
}

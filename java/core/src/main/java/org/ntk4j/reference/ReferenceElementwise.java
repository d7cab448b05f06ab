package org.ntk4j.reference;

import org.ntk4j.model.Activation;

/** φ entry by entry on the reference backend; no parameters. */
final class ReferenceElementwise implements ReferenceLayer {
    private final Activation act;

    ReferenceElementwise(Activation act) {
        this.act = act;
    }

    @Override
    public double[] forward(double[] z) {
        double[] h = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            h[i] = act.apply(z[i]);
        }
        return h;
    }

    /** ∂f/∂z_j = φ'(z_j)·∂f/∂h_j, the pending scale applied after φ' (see {@link Delta}). */
    @Override
    public Delta backward(double[] z, Delta delta) {
        double[] g = delta.values();
        double[] next = new double[z.length];
        for (int j = 0; j < z.length; j++) {
            next[j] = act.derivative(z[j]) * delta.scale() * g[j];
        }
        return new Delta(1.0, next);
    }

    @Override
    public void jacobianBlock(double[] z, Delta delta, double[] row) {
        // no parameters
    }

    @Override
    public double structuredTerm(double[] z1, double[] delta1, double[] z2, double[] delta2) {
        return 0;
    }
}

package org.ntk4j.reference;

import org.ntk4j.model.Activation;

/**
 * φ entry by entry on the reference backend; no parameters. φ and φ' are written out here, apart from
 * {@link Activation}'s (which the CPU backend's loops follow), so that the oracle does not share the arithmetic it
 * checks: tanh' as 1/cosh², the Gaussian CDF of gelu through erfc.
 */
final class ReferenceElementwise implements ReferenceLayer {
    private final Activation act;

    ReferenceElementwise(Activation act) {
        this.act = act;
    }

    @Override
    public double[] forward(double[] z) {
        double[] h = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            h[i] = phi(z[i]);
        }
        return h;
    }

    /** ∂f/∂z_j = φ'(z_j)·∂f/∂h_j, the pending scale applied after φ' (see {@link Delta}). */
    @Override
    public Delta backward(double[] z, Delta delta) {
        double[] g = delta.values();
        double[] next = new double[z.length];
        for (int j = 0; j < z.length; j++) {
            next[j] = phiPrime(z[j]) * delta.scale() * g[j];
        }
        return new Delta(1.0, next);
    }

    private static final double SQRT2 = Math.sqrt(2.0);
    private static final double SQRT_2PI = Math.sqrt(2.0 * Math.PI);

    private double phi(double z) {
        return switch (act) {
            case RELU -> Math.max(z, 0.0);
            case TANH -> Math.tanh(z);
            case ERF -> org.apache.commons.numbers.gamma.Erf.value(z);
            case GELU -> z * 0.5 * org.apache.commons.numbers.gamma.Erfc.value(-z / SQRT2); // z·Φ(z)
            case IDENTITY -> z;
        };
    }

    private double phiPrime(double z) {
        return switch (act) {
            case RELU -> z > 0 ? 1.0 : 0.0;
            case TANH -> {
                double ch = Math.cosh(z);
                yield 1.0 / (ch * ch);
            }
            case ERF -> 2.0 / Math.sqrt(Math.PI) * Math.exp(-z * z);
            case GELU -> 0.5 * org.apache.commons.numbers.gamma.Erfc.value(-z / SQRT2) + z * Math.exp(-z * z / 2) / SQRT_2PI;
            case IDENTITY -> 1.0;
        };
    }
}

package org.ntk4j.reference;

import org.ntk4j.model.Architecture;
import org.ntk4j.model.Dense;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;

/**
 * {@code z = c·W·h + s·b} on the reference backend: W is (out, in) row-major, c and s per the network's
 * parameterization and this layer's σ_w, σ_b.
 */
final class ReferenceDense implements ReferenceLayer {
    private final double[] w;
    private final double[] b;
    private final int in;
    private final int out;
    private final double c;
    private final double s;
    private final int wOff;
    private final int bOff;

    /**
     * Dense layer l, its parameters starting at {@code offset} of the flat vector (W row-major, then b). The scales
     * are worked out here from the parameterization's definition, not taken from the model's helpers that the CPU
     * backend uses, so that the oracle does not share what it checks.
     */
    ReferenceDense(Parameters params, int l, int offset) {
        Architecture arch = params.architecture();
        Dense d = arch.dense(l);
        this.w = params.weights(l);
        this.b = params.bias(l);
        this.in = arch.width(l);
        this.out = arch.width(l + 1);
        boolean ntk = arch.parameterization() == Parameterization.NTK;
        this.c = ntk ? d.wStd() / Math.sqrt(in) : 1.0;
        this.s = !d.bias() ? 0.0 : ntk ? d.bStd() : 1.0;
        this.wOff = offset;
        this.bOff = b == null ? -1 : offset + in * out;
    }

    /** Parameters of this layer: W, then b when it has one. */
    @Override
    public int parameterCount() {
        return in * out + (b == null ? 0 : out);
    }

    @Override
    public double[] forward(double[] h) {
        double[] z = new double[out];
        for (int i = 0; i < out; i++) {
            double acc = 0;
            for (int j = 0; j < in; j++) {
                acc += w[i * in + j] * h[j];
            }
            z[i] = c * acc + (b == null ? 0 : s * b[i]);
        }
        return z;
    }

    /** ∂f/∂h_j = c·Σ_i W_ij·δ_i, with c left to the layer below to apply. */
    @Override
    public Delta backward(double[] h, Delta delta) {
        double[] d = delta.applied();
        double[] next = new double[in];
        for (int j = 0; j < in; j++) {
            double acc = 0;
            for (int i = 0; i < out; i++) {
                acc += w[i * in + j] * d[i];
            }
            next[j] = acc;
        }
        return new Delta(c, next);
    }

    /** ∂f/∂W_ij = c·δ_i·h_j, ∂f/∂b_i = s·δ_i. */
    @Override
    public void jacobianBlock(double[] h, Delta delta, double[] row) {
        double[] d = delta.applied();
        for (int i = 0; i < out; i++) {
            for (int j = 0; j < in; j++) {
                row[wOff + i * in + j] = c * d[i] * h[j];
            }
        }
        if (b != null) {
            for (int i = 0; i < out; i++) {
                row[bOff + i] = s * d[i];
            }
        }
    }

    /** c²·⟨h, h'⟩·⟨δ, δ'⟩ + s²·⟨δ, δ'⟩ (s = 0 without bias). */
    @Override
    public double structuredTerm(double[] h1, double[] delta1, double[] h2, double[] delta2) {
        double hh = 0;
        for (int j = 0; j < in; j++) {
            hh += h1[j] * h2[j];
        }
        double dd = 0;
        for (int i = 0; i < out; i++) {
            dd += delta1[i] * delta2[i];
        }
        return (c * c * hh + s * s) * dd;
    }
}

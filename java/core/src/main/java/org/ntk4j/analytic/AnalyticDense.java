package org.ntk4j.analytic;

import org.ntk4j.model.Dense;
import org.ntk4j.model.Parameterization;

/**
 * A dense layer's infinite-width map on n_in features: Σ' = σ_w²·K + σ_b², and Θ' = Σ' + σ_w²·K̇·Θ (ntk
 * parameterization) or Θ' = n_in·K + 1 + σ_w²·K̇·Θ (standard; the "+ 1" and σ_b² only with bias), where K is the
 * covariance of the layer's input and K̇ the pending E[φ'φ'] of the activation before it (1 if none). On the raw
 * input K = x·x'/d and Θ' = Σ' (ntk) or x·x' + 1 (standard).
 */
final class AnalyticDense implements AnalyticLayer {
    private final double sw2;
    private final double sb2;
    private final double one;
    private final boolean standard;
    private final int width;

    AnalyticDense(Parameterization p, Dense d, int inputWidth) {
        this.sw2 = d.wStd() * d.wStd();
        this.sb2 = d.bStd() * d.bStd(); // 0 without bias
        this.one = d.bias() ? 1.0 : 0.0;
        this.standard = p == Parameterization.STANDARD;
        this.width = inputWidth;
    }

    @Override
    public void pairs(KernelState s) {
        int n2 = s.n2;
        double[] k = s.k;
        if (s.input) {
            double[] t = new double[k.length];
            AnalyticKernel.forEachRowBlock(s.n1, n2, s.symmetric, 1, (from, to) -> {
                for (int i = from; i < to; i++) {
                    for (int j = s.symmetric ? i : 0; j < n2; j++) {
                        int p = i * n2 + j;
                        double dot = k[p];
                        k[p] = inputCovariance(dot);
                        t[p] = inputNtk(dot, k[p]);
                    }
                }
            });
            s.t = t;
        } else {
            double[] t = s.t;
            double[] kd = s.kd;
            AnalyticKernel.forEachRowBlock(s.n1, n2, s.symmetric, 1, (from, to) -> {
                for (int i = from; i < to; i++) {
                    for (int j = s.symmetric ? i : 0; j < n2; j++) {
                        int p = i * n2 + j;
                        double next = sw2 * k[p] + sb2;
                        t[p] = ntk(k[p], next, kd, p, t[p]);
                        k[p] = next;
                    }
                }
            });
        }
        s.kd = null;
        s.s11 = selfCovariances(s.s11, s.input);
        s.s22 = s.symmetric ? s.s11 : selfCovariances(s.s22, s.input);
        s.input = false;
    }

    @Override
    public void diagonal(KernelState s) {
        double[] k = s.k;
        if (s.input) {
            double[] t = new double[k.length];
            for (int i = 0; i < k.length; i++) {
                double q = k[i];
                k[i] = inputCovariance(q);
                t[i] = inputNtk(q, k[i]);
            }
            s.t = t;
        } else {
            double[] t = s.t;
            for (int i = 0; i < k.length; i++) {
                double next = sw2 * k[i] + sb2;
                t[i] = ntk(k[i], next, s.kd, i, t[i]);
                k[i] = next;
            }
        }
        s.kd = null;
        s.s11 = s.k;
        s.input = false;
    }

    /** Σ' = σ_w²·x·x'/d + σ_b² from the raw inputs' dot product. */
    private double inputCovariance(double dot) {
        return sw2 * dot / width + sb2;
    }

    /** Θ' on the raw input: Σ' (ntk) or x·x' + 1 (standard). */
    private double inputNtk(double dot, double covariance) {
        return standard ? dot + one : covariance;
    }

    /** Θ' = (Σ' or n_in·K + 1) + σ_w²·K̇·Θ, in the recursion's order (K̇ = 1 when no activation is pending). */
    private double ntk(double k, double next, double[] kd, int p, double t) {
        double chain = kd == null ? sw2 * t : sw2 * kd[p] * t;
        return (standard ? width * k + one : next) + chain;
    }

    /** σ_w²·K(x, x)/d + σ_b² on the raw input (K = x·x), σ_w²·K(x, x) + σ_b² after a layer. */
    private double[] selfCovariances(double[] kSelf, boolean input) {
        double[] out = new double[kSelf.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = input ? inputCovariance(kSelf[i]) : sw2 * kSelf[i] + sb2;
        }
        return out;
    }
}

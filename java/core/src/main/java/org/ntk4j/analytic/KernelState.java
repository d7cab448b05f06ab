package org.ntk4j.analytic;

/**
 * What the infinite-width maps carry from layer to layer for a block of pairs (x1_i, x2_j), or for the diagonal
 * (x_i, x_i): the covariance and NTK of the current value, and what the next layer needs about each side.
 * Before the first layer the "covariance" is the raw inputs' dot products x·x' (not yet divided by d) and there is
 * no NTK; an activation leaves its E[φ'φ'] pending in {@link #kd}, for the next dense layer to multiply into Θ in the
 * order σ_w²·K̇·Θ — the recursion's order, so MLP kernels keep their bits.
 */
final class KernelState {
    final int n1;
    final int n2;
    final boolean symmetric;
    /** Whether the value is still the raw input (k holds x·x', s11/s22 hold x·x). */
    boolean input = true;
    /** Covariance of the value with itself, per row of x1 and per row of x2 (the same array when symmetric). */
    double[] s11;
    double[] s22;
    /** Covariance per pair, row-major (N1, N2), or per example on the diagonal. */
    double[] k;
    /** NTK per pair (or per example); null before the first dense layer. */
    double[] t;
    /** E[φ'(u)φ'(v)] of the activation just applied, not yet multiplied into {@link #t}; null when none is pending. */
    double[] kd;

    KernelState(int n1, int n2, boolean symmetric) {
        this.n1 = n1;
        this.n2 = n2;
        this.symmetric = symmetric;
    }

    /** Θ with any pending E[φ'φ'] applied: the NTK of the current value. */
    double[] ntk() {
        if (kd != null) {
            for (int p = 0; p < t.length; p++) {
                t[p] = kd[p] * t[p];
            }
            kd = null;
        }
        return t;
    }
}

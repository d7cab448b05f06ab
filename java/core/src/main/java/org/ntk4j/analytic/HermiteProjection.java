package org.ntk4j.analytic;

import java.util.Arrays;

/**
 * A quadrature rule for the Hermite coefficients c_n = E[f(Z)·p_n(Z)], Z ~ N(0, 1), n ≤ {@code order}, of
 * f(z) = φ(√q·z) for every variance q up to {@code maxVariance}, where p_n are the Hermite polynomials orthonormal
 * under N(0, 1). Composite Gauss–Legendre ({@value #POINTS} points per panel) on [−{@value #RANGE}, {@value #RANGE}]
 * (|p_n(z)|·N(z) ≤ C·e^{−z²/4}, so the neglected tails are below 1e-16 for every n), with
 * <ul>
 *   <li>uniform panels of width min(0.5, 6/√(order + 1)): p_n oscillates on the scale π/√n, so every panel holds
 *       about one wavelength of the highest-order polynomial;</li>
 *   <li>panels graded geometrically (ratio 2) towards 0, down to 0.5/√maxVariance: φ(√q·z) bends where √q·z is of
 *       order 1 (tanh's poles sit at ±iπ/(2√q)), a feature that shrinks as q grows.</li>
 * </ul>
 * Measured against a rule with 4× the nodes and exact breakpoints at tanh's features, the coefficients of
 * tanh and its derivative agree to 1e-14 of √E[φ²] for q up to 100 and every order up to 2048. The rule depends on
 * q only through the grading depth, so one rule and one basis matrix serve every input of a layer, and the
 * coefficients of all inputs are matrix products {@code F·B}, F[i][k] = φ(√q_i·z_k) (folded at ±z, {@link #basis}).
 */
final class HermiteProjection {
    static final double RANGE = 12.5;
    static final int POINTS = 10;
    private static final double WIDEST_PANEL = 0.5;

    /** Highest Hermite order the basis holds. */
    final int order;
    final double[] nodes;
    /** Gaussian weights, N(0, 1) density included, summing to 1. */
    final double[] weights;

    private HermiteProjection(int order, double[] nodes, double[] weights) {
        this.order = order;
        this.nodes = nodes;
        this.weights = weights;
    }

    static HermiteProjection of(int order, double maxVariance) {
        return of(order, maxVariance, 1);
    }

    /** The rule with every panel cut into {@code refine} equal ones (to check the rule against a finer one). */
    static HermiteProjection of(int order, double maxVariance, int refine) {
        double uniform = Math.min(WIDEST_PANEL, 6.0 / Math.sqrt(order + 1.0));
        // Grading depth m: the smallest panel is uniform/2^m ≤ 0.5/√maxVariance (quantised so rules are few).
        int depth = 0;
        if (maxVariance > 0) {
            double finest = 0.5 / Math.sqrt(maxVariance);
            while (uniform / (1L << depth) > finest && depth < 40) {
                depth++;
            }
        }
        double[] positive = new double[depth + 2 + (int) Math.ceil(RANGE / uniform)];
        int ne = 0;
        positive[ne++] = 0.0;
        for (int m = depth; m >= 1; m--) {
            positive[ne++] = uniform / (1L << m);
        }
        double x = uniform;
        while (x < RANGE) {
            positive[ne++] = x;
            x += uniform;
        }
        positive[ne++] = RANGE;
        double[] gl = GaussRules.legendre(POINTS)[0];
        double[] gw = GaussRules.legendre(POINTS)[1];
        if (refine > 1) {
            double[] fine = new double[(ne - 1) * refine + 1];
            for (int p = 0; p + 1 < ne; p++) {
                for (int r = 0; r < refine; r++) {
                    fine[p * refine + r] = positive[p] + (positive[p + 1] - positive[p]) * r / refine;
                }
            }
            fine[fine.length - 1] = positive[ne - 1];
            positive = fine;
            ne = fine.length;
        }
        int panels = 2 * (ne - 1);
        double[] z = new double[panels * POINTS];
        double[] w = new double[z.length];
        int k = 0;
        // Negative panels first (mirrored), so nodes ascend and the rule is exactly symmetric.
        for (int p = ne - 1; p >= 1; p--) {
            k = panel(-positive[p], -positive[p - 1], gl, gw, z, w, k);
        }
        for (int p = 1; p < ne; p++) {
            k = panel(positive[p - 1], positive[p], gl, gw, z, w, k);
        }
        double total = 0;
        for (double v : w) {
            total += v;
        }
        for (int i = 0; i < w.length; i++) {
            w[i] /= total;
        }
        return new HermiteProjection(order, z, w);
    }

    private static int panel(double a, double b, double[] gl, double[] gw, double[] z, double[] w, int k) {
        double half = 0.5 * (b - a);
        double mid = 0.5 * (a + b);
        for (int i = 0; i < gl.length; i++) {
            double x = mid + half * gl[i];
            z[k] = x;
            w[k] = half * gw[i] * GradedGaussianRule.density(x);
            k++;
        }
        return k;
    }

    int size() {
        return nodes.length;
    }

    /** Index of the first positive node: the rule is exactly symmetric, z[size−1−k] = −z[k], w[size−1−k] = w[k]. */
    int half() {
        return nodes.length / 2;
    }

    /**
     * The basis on the positive nodes for the orders of one parity (0: even n, 1: odd n), as a matrix
     * (half() × orders, row-major): B[k][m] = w_k·p_n(z_k) for the k-th positive node and n = 2m + parity. With
     * f±(z) = f(z) ± f(−z), the coefficient c_n = Σ_k w_k f(z_k) p_n(z_k) over all nodes equals Σ over the positive
     * ones of f+ (n even) or f− (n odd) against this, since p_n(−z) = (−1)^n p_n(z). The polynomials come from the
     * three-term recurrence p_{n+1} = (z·p_n − √n·p_{n−1})/√(n+1), stable in the oscillatory range |z| < 2√n and
     * bounded by e^{z²/4} outside it (≤ 1e17 here, far from overflow).
     */
    double[] basis(int parity) {
        int h = half();
        int cols = orders(parity);
        double[] b = new double[h * cols];
        double[] root = new double[order + 2];
        for (int n = 0; n < root.length; n++) {
            root[n] = Math.sqrt(n);
        }
        for (int k = 0; k < h; k++) {
            int node = h + k;
            double zk = nodes[node];
            double wk = weights[node];
            double prev = 0;
            double cur = 1;
            int row = k * cols;
            for (int n = 0; n <= order; n++) {
                if ((n & 1) == parity) {
                    b[row + (n >> 1)] = wk * cur;
                }
                double next = (zk * cur - root[n] * prev) / root[n + 1];
                prev = cur;
                cur = next;
            }
        }
        return b;
    }

    /** How many orders n ≤ order have the given parity. */
    int orders(int parity) {
        return parity == 0 ? order / 2 + 1 : (order + 1) / 2;
    }

    @Override
    public String toString() {
        return "HermiteProjection[order " + order + ", " + nodes.length + " nodes, first " + Arrays.toString(
                Arrays.copyOf(nodes, 2)) + "]";
    }
}

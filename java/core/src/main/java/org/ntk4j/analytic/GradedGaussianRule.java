package org.ntk4j.analytic;

import java.util.Arrays;

/**
 * A composite Gauss–Legendre rule for {@code E[F(X)]}, X ~ N(μ, s²), built for integrands F made of activation
 * functions: panels are graded geometrically around 0, where tanh, gelu and friends bend on a scale of 1 (tanh's
 * poles sit at ±iπ/2), and spaced on the scale s of the Gaussian itself; the range is μ ± 9s (the neglected tail
 * is 2e-19). Unlike a Gauss–Hermite rule, whose node spacing grows with s until it steps over the bend, this stays
 * accurate for any s. Optionally graded further around 0 down to a given scale. Not thread-safe: one instance per
 * thread.
 */
final class GradedGaussianRule {
    private static final double RANGE = 9.0;
    private static final double[] GAUSSIAN_BREAKS = {1.5, 3.0, 5.0};
    private static final double[] FEATURE_BREAKS = {0.5, 1.5, 2.5, 4.0, 6.0, 10.0, 25.0, 60.0, 150.0, 400.0, 1000.0, 2500.0,
            6000.0, 15000.0, 40000.0, 100000.0};
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    private final double[] glx;
    private final double[] glw;
    /** Most levels of the optional geometric grading around 0 (a scale down to 2⁻³⁰ of the first feature break). */
    private static final int MAX_FINE_LEVELS = 30;
    private final double[] breaks = new double[2 + 2 * GAUSSIAN_BREAKS.length + 1 + 2 * FEATURE_BREAKS.length
            + 2 * MAX_FINE_LEVELS];
    final double[] nodes;
    final double[] weights;
    int size;

    /** pointsPerPanel: Gauss–Legendre order on each panel. */
    GradedGaussianRule(int pointsPerPanel) {
        double[][] gl = GaussRules.legendre(pointsPerPanel);
        glx = gl[0];
        glw = gl[1];
        nodes = new double[(breaks.length - 1) * pointsPerPanel];
        weights = new double[nodes.length];
    }

    /** Fills {@link #nodes}, {@link #weights} (summing to 1) and {@link #size} for N(mu, s²); returns size. */
    int build(double mu, double s) {
        return build(mu, s, Double.POSITIVE_INFINITY);
    }

    /**
     * As {@link #build(double, double)}, with extra breaks at ±fine·2^k (k ≥ 0, below the first feature break):
     * for an integrand that also bends at 0 on the scale {@code fine}, e.g. the inner expectation of a kinked φ
     * when the pair is nearly degenerate.
     */
    int build(double mu, double s, double fine) {
        if (!(s > 0)) {
            nodes[0] = mu;
            weights[0] = 1.0;
            size = 1;
            return 1;
        }
        double lo = mu - RANGE * s;
        double hi = mu + RANGE * s;
        int nb = 0;
        breaks[nb++] = lo;
        breaks[nb++] = hi;
        for (double g : GAUSSIAN_BREAKS) {
            breaks[nb++] = mu - g * s;
            breaks[nb++] = mu + g * s;
        }
        if (lo < 0 && hi > 0) {
            breaks[nb++] = 0.0;
        }
        for (double f : FEATURE_BREAKS) {
            if (f > lo && f < hi) {
                breaks[nb++] = f;
            }
            if (-f > lo && -f < hi) {
                breaks[nb++] = -f;
            }
        }
        double g = FEATURE_BREAKS[0];
        for (int level = 0; level < MAX_FINE_LEVELS && g / 2 >= fine; level++) {
            g /= 2;
            if (g > lo && g < hi) {
                breaks[nb++] = g;
            }
            if (-g > lo && -g < hi) {
                breaks[nb++] = -g;
            }
        }
        Arrays.sort(breaks, 0, nb);
        double minGap = 1e-6 * (hi - lo);
        int p = glx.length;
        int k = 0;
        double total = 0;
        double a = breaks[0];
        double invS = 1 / s;
        for (int b = 1; b < nb; b++) {
            double e = breaks[b];
            if (e - a < minGap) {
                continue;
            }
            double half = 0.5 * (e - a);
            double mid = 0.5 * (a + e);
            for (int i = 0; i < p; i++) {
                double x = mid + half * glx[i];
                double t = (x - mu) * invS;
                double w = half * glw[i] * Math.exp(-0.5 * t * t);
                nodes[k] = x;
                weights[k] = w;
                total += w;
                k++;
            }
            a = e;
        }
        // Normalising absorbs the rule's tiny error on the Gaussian weight itself (and the 1/(s√2π) factor).
        for (int i = 0; i < k; i++) {
            weights[i] /= total;
        }
        size = k;
        return k;
    }

    static double density(double t) {
        return INV_SQRT_2PI * Math.exp(-0.5 * t * t);
    }
}

package org.ntk4j.analytic;

import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;

/**
 * An independent high-accuracy integrator for the tests: composite 20-point Gauss–Legendre on [−T, T] (T = 12, so
 * the neglected Gaussian tail is below 1e-32), split at given breakpoints so kinks (relu at 0, its inner kink at
 * v = 0) fall on panel edges, where the rule stays exact for piecewise polynomials and spectrally accurate for
 * piecewise-analytic integrands. Nodes come from Newton's method on the Legendre recurrence — nothing shared with
 * the library's Gauss–Hermite code.
 */
final class LegendreIntegrator {
    static final double T = 12.0;
    private static final int POINTS = 20;
    private static final double[] X = new double[POINTS];
    private static final double[] W = new double[POINTS];
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    static {
        for (int i = 0; i < POINTS; i++) {
            double x = Math.cos(Math.PI * (i + 0.75) / (POINTS + 0.5));
            double dp = 0;
            for (int it = 0; it < 100; it++) {
                double p0 = 1;
                double p1 = x;
                for (int k = 2; k <= POINTS; k++) {
                    double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
                    p0 = p1;
                    p1 = p2;
                }
                dp = POINTS * (x * p1 - p0) / (x * x - 1);
                double step = p1 / dp;
                x -= step;
                if (Math.abs(step) < 1e-16) {
                    break;
                }
            }
            X[i] = x;
            W[i] = 2 / ((1 - x * x) * dp * dp);
        }
    }

    private final int panels;

    /** panels: Gauss–Legendre panels over [−T, T] (more where breakpoints split them). */
    LegendreIntegrator(int panels) {
        this.panels = panels;
    }

    /** ∫ g(z)·N(z; 0, 1) dz over [−T, T], breaking panels at the given points. */
    double gaussian1d(DoubleUnaryOperator g, double... breaks) {
        double[] edges = edges(breaks);
        double s = 0;
        for (int e = 0; e + 1 < edges.length; e++) {
            double a = edges[e];
            double b = edges[e + 1];
            double half = 0.5 * (b - a);
            double mid = 0.5 * (a + b);
            for (int i = 0; i < POINTS; i++) {
                double z = mid + half * X[i];
                s += half * W[i] * INV_SQRT_2PI * Math.exp(-0.5 * z * z) * g.applyAsDouble(z);
            }
        }
        return s;
    }

    /**
     * {E[f(u)·f(v)], E[g(u)·g(v)]} for (u, v) centred Gaussian with covariance [[q11, q12], [q12, q22]], breaking
     * the integration where u = 0 and where v = 0 (the kinks of relu-like functions); each function is evaluated once
     * per node.
     */
    double[] gaussian2dProducts(double q11, double q22, double q12, DoubleUnaryOperator f, DoubleUnaryOperator g) {
        double l11 = Math.sqrt(q11);
        double l21 = l11 > 0 ? q12 / l11 : 0;
        double l22 = Math.sqrt(Math.max(0, q22 - l21 * l21));
        double[] out = new double[2];
        double[] outer = edges(new double[] {0.0});
        for (int e = 0; e + 1 < outer.length; e++) {
            double a = outer[e];
            double b = outer[e + 1];
            double half = 0.5 * (b - a);
            double mid = 0.5 * (a + b);
            for (int i = 0; i < POINTS; i++) {
                double z1 = mid + half * X[i];
                double w1 = half * W[i] * INV_SQRT_2PI * Math.exp(-0.5 * z1 * z1);
                double u = l11 * z1;
                double m = l21 * z1;
                double fu = f.applyAsDouble(u);
                double gu = g.applyAsDouble(u);
                if (l22 == 0) {
                    out[0] += w1 * fu * f.applyAsDouble(m);
                    out[1] += w1 * gu * g.applyAsDouble(m);
                    continue;
                }
                double sf = 0;
                double sg = 0;
                double[] inner = edges(new double[] {-m / l22});
                for (int e2 = 0; e2 + 1 < inner.length; e2++) {
                    double a2 = inner[e2];
                    double b2 = inner[e2 + 1];
                    double half2 = 0.5 * (b2 - a2);
                    double mid2 = 0.5 * (a2 + b2);
                    for (int j = 0; j < POINTS; j++) {
                        double z2 = mid2 + half2 * X[j];
                        double w = half2 * W[j] * INV_SQRT_2PI * Math.exp(-0.5 * z2 * z2);
                        double v = m + l22 * z2;
                        sf += w * f.applyAsDouble(v);
                        sg += w * g.applyAsDouble(v);
                    }
                }
                out[0] += w1 * fu * sf;
                out[1] += w1 * gu * sg;
            }
        }
        return out;
    }

    private double[] edges(double[] breaks) {
        double[] base = new double[panels + 1];
        for (int i = 0; i <= panels; i++) {
            base[i] = -T + 2 * T * i / panels;
        }
        double[] all = Arrays.copyOf(base, base.length + breaks.length);
        int k = base.length;
        for (double b : breaks) {
            if (b > -T && b < T) {
                all[k++] = b;
            }
        }
        double[] e = Arrays.copyOf(all, k);
        Arrays.sort(e);
        return e;
    }
}

package org.ntk4j.experiments;

import org.ntk4j.InvalidInputException;

/**
 * A least-squares line through (log x, log y): y ≈ e^intercept · x^slope. Natural logarithms; r² is the fraction of
 * the variance of log y the line explains.
 */
public record LogLogFit(double slope, double intercept, double r2, int points, double xMin, double xMax) {

    /** Fits all points; x and y must be positive and finite, at least two distinct x. */
    public static LogLogFit of(double[] x, double[] y) {
        if (x.length != y.length) {
            throw new InvalidInputException("log-log fit needs as many y as x values, got " + x.length + " and " + y.length);
        }
        int n = x.length;
        if (n < 2) {
            throw new InvalidInputException("log-log fit needs at least 2 points, got " + n);
        }
        double sx = 0;
        double sy = 0;
        double xMin = Double.POSITIVE_INFINITY;
        double xMax = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            if (!(x[i] > 0) || !(y[i] > 0) || !Double.isFinite(x[i]) || !Double.isFinite(y[i])) {
                throw new InvalidInputException("log-log fit needs positive finite values, got (" + x[i] + ", " + y[i]
                        + ") at point " + i);
            }
            sx += Math.log(x[i]);
            sy += Math.log(y[i]);
            xMin = Math.min(xMin, x[i]);
            xMax = Math.max(xMax, x[i]);
        }
        double mx = sx / n;
        double my = sy / n;
        double sxx = 0;
        double sxy = 0;
        double syy = 0;
        for (int i = 0; i < n; i++) {
            double dx = Math.log(x[i]) - mx;
            double dy = Math.log(y[i]) - my;
            sxx += dx * dx;
            sxy += dx * dy;
            syy += dy * dy;
        }
        if (sxx == 0) {
            throw new InvalidInputException("log-log fit needs at least two distinct x values");
        }
        double slope = sxy / sxx;
        double r2 = syy == 0 ? 1.0 : sxy * sxy / (sxx * syy);
        return new LogLogFit(slope, my - slope * mx, r2, n, xMin, xMax);
    }

    /** Fits the points whose x lies in [from, to]. */
    public static LogLogFit of(double[] x, double[] y, double from, double to) {
        int k = 0;
        for (double v : x) {
            if (v >= from && v <= to) {
                k++;
            }
        }
        double[] xs = new double[k];
        double[] ys = new double[k];
        k = 0;
        for (int i = 0; i < x.length; i++) {
            if (x[i] >= from && x[i] <= to) {
                xs[k] = x[i];
                ys[k++] = y[i];
            }
        }
        return of(xs, ys);
    }

    /** The fitted y at x. */
    public double predict(double x) {
        return Math.exp(intercept + slope * Math.log(x));
    }

    @Override
    public String toString() {
        return String.format("slope %.3f (r² %.3f, %d points, x %g…%g)", slope, r2, points, xMin, xMax);
    }
}

package org.ntk4j.testing;

/** The least-squares slope of log y against log x, for tests that check a scaling law (e.g. error ~ width^−½). */
public final class LogLogSlope {
    private LogLogSlope() {
    }

    /** Slope of the line through (ln x_i, ln y_i); x and y positive. */
    public static double of(double[] x, double[] y) {
        int n = x.length;
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += Math.log(x[i]) / n;
            my += Math.log(y[i]) / n;
        }
        double sxy = 0;
        double sxx = 0;
        for (int i = 0; i < n; i++) {
            double dx = Math.log(x[i]) - mx;
            sxy += dx * (Math.log(y[i]) - my);
            sxx += dx * dx;
        }
        return sxy / sxx;
    }
}

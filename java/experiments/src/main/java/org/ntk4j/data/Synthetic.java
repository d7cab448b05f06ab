package org.ntk4j.data;

import java.util.SplittableRandom;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;

/** Seeded synthetic data for tests and quick experiments. */
public final class Synthetic {
    private Synthetic() {
    }

    /**
     * n inputs uniform on the sphere of radius √d (so x·x/d = 1, like {@link Digits}) and O smooth targets
     * y_a = sin(2·u_a·x/√d) + cos(3·v_a·x/√d)/(2√2) with random unit directions u_a, v_a: bounded, nonlinear,
     * learnable. The same seed gives the same data.
     */
    public static Dataset sphere(int n, int d, int outputs, long seed) {
        if (n < 1 || d < 1 || outputs < 1) {
            throw new InvalidInputException("synthetic data needs n, d, outputs ≥ 1, got " + n + ", " + d + ", " + outputs);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        double[] x = new double[n * d];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                double g = rng.nextGaussian();
                x[i * d + j] = g;
                s += g * g;
            }
            double scale = Math.sqrt(d / s);
            for (int j = 0; j < d; j++) {
                x[i * d + j] *= scale;
            }
        }
        double[][] u = unitRows(rng, outputs, d);
        double[][] u2 = unitRows(rng, outputs, d);
        double[] y = new double[n * outputs];
        double norm = Math.sqrt(d);
        for (int i = 0; i < n; i++) {
            for (int a = 0; a < outputs; a++) {
                double p = 0;
                double q = 0;
                for (int j = 0; j < d; j++) {
                    p += u[a][j] * x[i * d + j];
                    q += u2[a][j] * x[i * d + j];
                }
                y[i * outputs + a] = Math.sin(2 * p / norm) + 0.5 * Math.cos(3 * q / norm) / Math.sqrt(2);
            }
        }
        return new Dataset("sphere", new Matrix(n, d, x), new Matrix(n, outputs, y), null);
    }

    private static double[][] unitRows(SplittableRandom rng, int rows, int d) {
        double[][] u = new double[rows][d];
        for (int a = 0; a < rows; a++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                u[a][j] = rng.nextGaussian();
                s += u[a][j] * u[a][j];
            }
            for (int j = 0; j < d; j++) {
                u[a][j] /= Math.sqrt(s);
            }
        }
        return u;
    }
}

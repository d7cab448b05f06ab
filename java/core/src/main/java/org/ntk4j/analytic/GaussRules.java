package org.ntk4j.analytic;

import java.util.concurrent.ConcurrentHashMap;
import org.netlib.util.intW;
import org.ntk4j.InvalidInputException;
import org.ntk4j.NtkException;

/**
 * Gaussian quadrature rules from the Golub–Welsch eigenproblem of a Jacobi matrix (LAPACK {@code dstev}), cached
 * per order: Gauss–Legendre on [−1, 1] and Gauss–Hermite for the standard normal measure.
 */
final class GaussRules {
    /** Largest Hermite order: beyond it the orthonormal recurrence nears the double range at the outer nodes. */
    static final int MAX_HERMITE_ORDER = 200;

    private static final ConcurrentHashMap<Integer, double[][]> LEGENDRE = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<Integer, double[][]> HERMITE = new ConcurrentHashMap<>();

    private GaussRules() {
    }

    /** {nodes, weights} of the n-point Gauss–Legendre rule on [−1, 1] (weights sum to 2). */
    static double[][] legendre(int n) {
        if (n < 1 || n > 64) {
            throw new InvalidInputException("Gauss–Legendre order must be in 1..64, got " + n);
        }
        return LEGENDRE.computeIfAbsent(n, GaussRules::computeLegendre);
    }

    /**
     * {nodes, weights} of the n-point Gauss–Hermite rule for N(0, 1) (weights sum to 1). The eigenvalues are
     * polished by Newton steps on the orthonormal recurrence and the weights taken as Christoffel numbers
     * 1/Σ_k p_k(z)², which keeps full relative accuracy for the tiny outer weights that eigenvectors lose.
     */
    static double[][] hermite(int n) {
        if (n < 1 || n > MAX_HERMITE_ORDER) {
            throw new InvalidInputException("Gauss–Hermite order must be in 1.." + MAX_HERMITE_ORDER + ", got " + n);
        }
        return HERMITE.computeIfAbsent(n, GaussRules::computeHermite);
    }

    private static double[][] computeLegendre(int n) {
        double[] d = new double[n];
        double[] e = new double[Math.max(1, n - 1)];
        for (int k = 1; k < n; k++) {
            e[k - 1] = k / Math.sqrt(4.0 * k * k - 1);
        }
        double[] z = new double[n * n];
        tridiagonalEigen("V", n, d, e, z);
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            double v = z[i * n]; // first component of eigenvector i (column-major)
            w[i] = 2 * v * v;
        }
        symmetrize(d, w, 2.0);
        return new double[][] {d, w};
    }

    private static double[][] computeHermite(int n) {
        double[] d = new double[n];
        double[] e = new double[Math.max(1, n - 1)];
        for (int k = 1; k < n; k++) {
            e[k - 1] = Math.sqrt(k);
        }
        tridiagonalEigen("N", n, d, e, new double[1]);
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            double x = d[i];
            for (int it = 0; it < 3; it++) {
                double[] p = hermiteRecurrence(x, n);
                double step = p[n] / (Math.sqrt(n) * p[n - 1]);
                x -= step;
                if (Math.abs(step) <= 1e-16 * Math.max(1, Math.abs(x))) {
                    break;
                }
            }
            double[] p = hermiteRecurrence(x, n);
            double s = 0;
            for (int k = 0; k < n; k++) {
                s += p[k] * p[k];
            }
            d[i] = x;
            w[i] = 1.0 / s;
        }
        symmetrize(d, w, 1.0);
        return new double[][] {d, w};
    }

    private static void tridiagonalEigen(String jobz, int n, double[] d, double[] e, double[] z) {
        intW info = new intW(0);
        int ldz = jobz.equals("V") ? Math.max(1, n) : 1;
        org.ntk4j.cpu.BlasSelection.current().lapack().dstev(jobz, n, d, e, z, ldz, new double[Math.max(1, 2 * n - 2)], info);
        if (info.val != 0) {
            throw new NtkException("LAPACK dstev failed for a quadrature rule of order " + n + " (info " + info.val + ")");
        }
    }

    /** Makes a symmetric rule exactly symmetric (odd moments vanish to rounding) and normalises its mass. */
    private static void symmetrize(double[] z, double[] w, double mass) {
        int n = z.length;
        for (int i = 0; i < n / 2; i++) {
            double x = 0.5 * (z[n - 1 - i] - z[i]);
            double ww = 0.5 * (w[i] + w[n - 1 - i]);
            z[i] = -x;
            z[n - 1 - i] = x;
            w[i] = ww;
            w[n - 1 - i] = ww;
        }
        if (n % 2 == 1) {
            z[n / 2] = 0.0;
        }
        double total = 0;
        for (double v : w) {
            total += v;
        }
        for (int i = 0; i < n; i++) {
            w[i] *= mass / total;
        }
    }

    /** p_0(x) … p_n(x), the Hermite polynomials orthonormal under N(0, 1). */
    private static double[] hermiteRecurrence(double x, int n) {
        double[] p = new double[n + 1];
        p[0] = 1.0;
        if (n >= 1) {
            p[1] = x;
        }
        for (int k = 1; k < n; k++) {
            p[k + 1] = (x * p[k] - Math.sqrt(k) * p[k - 1]) / Math.sqrt(k + 1);
        }
        return p;
    }
}

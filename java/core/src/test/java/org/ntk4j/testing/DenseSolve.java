package org.ntk4j.testing;

import org.ntk4j.Matrix;

/** A dense solve that shares nothing with ntk4j's solvers, for tests that check them. */
public final class DenseSolve {
    private DenseSolve() {
    }

    /**
     * The inverse by Gauss–Jordan elimination with partial pivoting: plain loops, no BLAS or LAPACK, independent of
     * every solver in ntk4j.
     *
     * @param a a square, well-conditioned matrix
     * @return its inverse
     */
    public static Matrix inverse(Matrix a) {
        int n = a.rows();
        double[][] w = new double[n][2 * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                w[i][j] = a.get(i, j);
            }
            w[i][n + i] = 1;
        }
        for (int c = 0; c < n; c++) {
            int piv = c;
            for (int r = c + 1; r < n; r++) {
                if (Math.abs(w[r][c]) > Math.abs(w[piv][c])) {
                    piv = r;
                }
            }
            double[] tmp = w[c];
            w[c] = w[piv];
            w[piv] = tmp;
            double d = w[c][c];
            for (int j = 0; j < 2 * n; j++) {
                w[c][j] /= d;
            }
            for (int r = 0; r < n; r++) {
                if (r != c && w[r][c] != 0) {
                    double f = w[r][c];
                    for (int j = 0; j < 2 * n; j++) {
                        w[r][j] -= f * w[c][j];
                    }
                }
            }
        }
        Matrix inv = Matrix.zeros(n, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                inv.set(i, j, w[i][n + j]);
            }
        }
        return inv;
    }
}

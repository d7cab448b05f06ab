package org.ntk4j.linalg;

import java.util.Arrays;
import java.util.Locale;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.NtkException;
import org.ntk4j.ProgressListener;

/**
 * Preconditioned conjugate gradients for A·X = B with a symmetric positive definite {@link SymmetricOperator} A and
 * several right-hand sides at once (the O output columns of kernel regression in trace mode). Each column runs its
 * own CG recurrence, but every iteration applies A to all unconverged columns in one call — one pass over the
 * kernel's tiles per iteration, however many columns. A column stops when ‖r‖ ≤ tol·‖b‖ (the recursively updated
 * residual); the solve stops when every column has. Each column is solved scaled by a power of two to unit
 * magnitude (and scaled back exactly), so the stopping test is scale-invariant: targets of 1e-170 or 1e160 are
 * solved as targets of 1 would be, where ‖b‖² would underflow to 0 or overflow.
 *
 * <p>This is the t = ∞ limit of neural-tangents' {@code gradient_descent_mse} (with A = Θ + λI, λ → 0) computed
 * without holding Θ, as Adlam et al. (2023) do for millions of examples; with a dense A it agrees with the Cholesky
 * solve of {@link org.ntk4j.dynamics.LinearizedDynamics#kernelRegression} to the tolerance times A's condition number.
 */
public final class ConjugateGradient {

    /**
     * The outcome: X, the iterations taken, the largest relative residual max_j ‖r_j‖/‖b_j‖ before the first
     * iteration (index 0, = 1) and after each one, and whether every column reached the tolerance.
     *
     * @param solution   X, shaped like B
     * @param iterations the iterations taken
     * @param residuals  the largest relative residual before the first iteration and after each one
     * @param converged  whether every column reached the tolerance
     */
    public record Result(Matrix solution, int iterations, double[] residuals, boolean converged) {
        /**
         * The largest relative residual at the end.
         *
         * @return the last entry of {@link #residuals}
         */
        public double finalResidual() {
            return residuals[residuals.length - 1];
        }
    }

    private ConjugateGradient() {
    }

    /**
     * Solves A·X = B from X = 0. {@code progress} gets one report per iteration (task "pcg", done = iteration,
     * total = maxIterations, detail = the residual). Throws {@link NtkException} when A turns out not to be
     * positive definite (a non-positive pᵀAp).
     *
     * @param a             A, symmetric positive definite
     * @param b             B, (n, k): k right-hand sides solved together
     * @param m             the preconditioner ({@link Preconditioner#IDENTITY} for none)
     * @param tolerance     the relative residual ‖r_j‖/‖b_j‖ every column must reach
     * @param maxIterations the most iterations taken
     * @param progress      receives one report per iteration ({@link ProgressListener#NONE} for none)
     * @return X and the solver's record
     * @throws InvalidInputException when the shapes disagree, the tolerance is outside (0, 1), no iteration is
     *                               allowed or {@code progress} is null
     */
    public static Result solve(SymmetricOperator a, Matrix b, Preconditioner m, double tolerance, int maxIterations,
                               ProgressListener progress) {
        ProgressListener listener = ProgressListener.require(progress);
        int n = a.size();
        if (b.rows() != n || b.cols() < 1) {
            throw new InvalidInputException("right-hand sides have shape (" + b.rows() + ", " + b.cols() + "); the operator is "
                    + n + "×" + n);
        }
        if (!(tolerance > 0) || !(tolerance < 1)) {
            throw new InvalidInputException("tolerance must be in (0, 1), got " + tolerance);
        }
        if (maxIterations < 1) {
            throw new InvalidInputException("at least one iteration must be allowed, got " + maxIterations);
        }
        int k = b.cols();
        int[] exponent = columnExponents(b);
        b = scaleColumns(b, exponent, -1);
        double[] bNorm = columnNorms(b);
        double[] x = new double[n * k];
        double[] r = b.data().clone();
        double[] z = m.apply(b).data().clone();
        double[] p = z.clone();
        double[] rz = columnDots(r, z, n, k);
        boolean[] done = new boolean[k];
        double[] history = new double[maxIterations + 1];
        history[0] = 1.0;
        for (int j = 0; j < k; j++) {
            done[j] = bNorm[j] == 0; // x = 0 solves a zero column exactly
        }
        int it = 0;
        double worst = allDone(done) ? 0 : 1;
        double largestCurvature = 0; // the largest Rayleigh quotient pᵀAp/pᵀp seen: a lower bound on λ_max(A)
        while (it < maxIterations && !allDone(done)) {
            int[] active = activeColumns(done);
            Matrix ap = a.apply(gather(p, n, k, active));
            for (int c = 0; c < active.length; c++) {
                int j = active[c];
                double pap = 0;
                for (int i = 0; i < n; i++) {
                    pap += p[i * k + j] * ap.data()[i * active.length + c];
                }
                double pp = 0;
                for (int i = 0; i < n; i++) {
                    pp += p[i * k + j] * p[i * k + j];
                }
                checkCurvature(pap, pp, largestCurvature, it + 1, j);
                largestCurvature = Math.max(largestCurvature, pap / pp);
                double alpha = rz[j] / pap;
                for (int i = 0; i < n; i++) {
                    x[i * k + j] += alpha * p[i * k + j];
                    r[i * k + j] -= alpha * ap.data()[i * active.length + c];
                }
            }
            it++;
            worst = 0;
            for (int j : active) {
                double rel = columnNorm(r, n, k, j) / bNorm[j];
                worst = Math.max(worst, rel);
                done[j] = rel <= tolerance;
            }
            history[it] = worst;
            listener.report("pcg", it, maxIterations, String.format(Locale.ROOT, "residual %.3e", worst));
            int[] next = activeColumns(done);
            if (next.length == 0) {
                break;
            }
            Matrix zn = m.apply(gather(r, n, k, next));
            for (int c = 0; c < next.length; c++) {
                int j = next[c];
                double rzNew = 0;
                for (int i = 0; i < n; i++) {
                    double zi = zn.data()[i * next.length + c];
                    z[i * k + j] = zi;
                    rzNew += r[i * k + j] * zi;
                }
                double beta = rzNew / rz[j];
                rz[j] = rzNew;
                for (int i = 0; i < n; i++) {
                    p[i * k + j] = z[i * k + j] + beta * p[i * k + j];
                }
            }
        }
        return new Result(scaleColumns(new Matrix(n, k, x), exponent, 1), it, Arrays.copyOf(history, it + 1),
                allDone(done));
    }

    /** For each column, the binary exponent of its largest magnitude (0 for a zero column). */
    private static int[] columnExponents(Matrix m) {
        int[] e = new int[m.cols()];
        for (int j = 0; j < m.cols(); j++) {
            double max = 0;
            for (int i = 0; i < m.rows(); i++) {
                max = Math.max(max, Math.abs(m.get(i, j)));
            }
            e[j] = max > 0 && Double.isFinite(max) ? Math.getExponent(max) : 0;
        }
        return e;
    }

    /** A copy of {@code m} with column j multiplied by 2^(sign·exponent[j]): exact, barring overflow. */
    private static Matrix scaleColumns(Matrix m, int[] exponent, int sign) {
        int k = m.cols();
        double[] d = m.data().clone();
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.scalb(d[i], sign * exponent[i % k]);
        }
        return new Matrix(m.rows(), k, d);
    }

    /**
     * Below this fraction of the largest Rayleigh quotient seen, pᵀAp/pᵀp is rounding error: A is singular in
     * floating point (a duplicated example at λ = 0 gives ≈ 1e-16), and the steps α = rᵀz/pᵀAp would blow the
     * solution up instead of converging. Well-posed systems of any practical condition stay far above it.
     */
    static final double SINGULAR = 1e-13;

    /** Refuses a step along p when A·p overflowed, or A is not positive definite or singular along p. */
    private static void checkCurvature(double pap, double pp, double largest, int iteration, int column) {
        if (!Double.isFinite(pap)) {
            throw new InvalidInputException(String.format(Locale.ROOT, "conjugate gradients overflowed at iteration"
                    + " %d, column %d (pᵀAp = %s): the kernel plus ridge exceeds the floating-point range; lower the"
                    + " ridge or rescale the inputs", iteration, column, pap));
        }
        if (!(pap > 0)) {
            throw new SingularSystemException(String.format(Locale.ROOT, "conjugate gradients broke down at iteration"
                    + " %d, column %d (pᵀAp = %.3g): the kernel plus ridge is singular or not positive definite; raise the"
                    + " ridge",
                    iteration, column, pap));
        }
        if (pap / pp < SINGULAR * largest) {
            throw new SingularSystemException(String.format(Locale.ROOT, "the kernel plus ridge is singular: at"
                    + " iteration %d, column %d, pᵀAp/pᵀp = %.3g against %.3g earlier (below %.0e of it), so the system"
                    + " has no unique solution; raise the ridge", iteration, column, pap / pp, largest, SINGULAR));
        }
    }

    private static boolean allDone(boolean[] done) {
        for (boolean d : done) {
            if (!d) {
                return false;
            }
        }
        return true;
    }

    private static int[] activeColumns(boolean[] done) {
        int count = 0;
        for (boolean d : done) {
            count += d ? 0 : 1;
        }
        int[] a = new int[count];
        int c = 0;
        for (int j = 0; j < done.length; j++) {
            if (!done[j]) {
                a[c++] = j;
            }
        }
        return a;
    }

    /** The columns {@code cols} of a row-major n×k array as an n×|cols| matrix. */
    private static Matrix gather(double[] v, int n, int k, int[] cols) {
        int w = cols.length;
        double[] out = new double[n * w];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < w; c++) {
                out[i * w + c] = v[i * k + cols[c]];
            }
        }
        return new Matrix(n, w, out);
    }

    private static double[] columnNorms(Matrix m) {
        double[] s = new double[m.cols()];
        for (int j = 0; j < m.cols(); j++) {
            s[j] = columnNorm(m.data(), m.rows(), m.cols(), j);
        }
        return s;
    }

    private static double columnNorm(double[] v, int n, int k, int j) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += v[i * k + j] * v[i * k + j];
        }
        return Math.sqrt(s);
    }

    private static double[] columnDots(double[] a, double[] b, int n, int k) {
        double[] s = new double[k];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                s[j] += a[i * k + j] * b[i * k + j];
            }
        }
        return s;
    }
}

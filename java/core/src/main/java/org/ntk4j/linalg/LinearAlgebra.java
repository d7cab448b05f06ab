package org.ntk4j.linalg;

import dev.ludovic.netlib.lapack.LAPACK;
import org.netlib.util.intW;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.NtkException;
import org.ntk4j.cpu.BlasSelection;

/**
 * Dense fp64 linear algebra on row-major {@link Matrix} values through BLAS/LAPACK (dev.ludovic.netlib bound to the
 * library {@link BlasSelection} chose: the system's or the bundled OpenBLAS, on one thread — on a loaded machine
 * handing it both cores made a 1280² dsyevd cost 1.19 s of CPU instead of 0.70 s): GEMM, the symmetric eigendecomposition ({@code dsyevd}) and Cholesky solves
 * ({@code dpotrf}/{@code dpotrs}). A symmetric row-major matrix is its own column-major transpose, so LAPACK reads
 * it as is; an eigenvector LAPACK writes as column k comes back as row k.
 */
public final class LinearAlgebra {
    private LinearAlgebra() {
    }

    /**
     * Eigenvalues in ascending order and the orthonormal eigenvectors as the rows of {@code vectors} (so
     * {@code vectors} is Vᵀ and A = Vᵀᵀ·diag(values)·Vᵀ).
     *
     * @param values  the eigenvalues, ascending; kept, not copied
     * @param vectors Vᵀ, eigenvector k in row k; kept, not copied
     */
    public record Eigen(double[] values, Matrix vectors) {
        /**
         * λ_max / λ_min; infinite when λ_min ≤ 0.
         *
         * @return the condition number
         */
        public double conditionNumber() {
            double min = values[0];
            double max = values[values.length - 1];
            return min > 0 ? max / min : Double.POSITIVE_INFINITY;
        }

        /**
         * The largest eigenvalue.
         *
         * @return λ_max
         */
        public double max() {
            return values[values.length - 1];
        }

        /**
         * The smallest eigenvalue.
         *
         * @return λ_min
         */
        public double min() {
            return values[0];
        }
    }

    /**
     * C = op(A)·op(B) with op = transpose when the flag is set.
     *
     * @param a      A; read
     * @param transA whether to use Aᵀ
     * @param b      B; read
     * @param transB whether to use Bᵀ
     * @return a new matrix C
     * @throws InvalidInputException when the inner dimensions differ
     */
    public static Matrix multiply(Matrix a, boolean transA, Matrix b, boolean transB) {
        int m = transA ? a.cols() : a.rows();
        int k = transA ? a.rows() : a.cols();
        int kb = transB ? b.cols() : b.rows();
        int n = transB ? b.rows() : b.cols();
        if (k != kb) {
            throw new InvalidInputException("cannot multiply (" + m + "×" + k + ") by (" + kb + "×" + n + ")");
        }
        Matrix c = Matrix.zeros(m, n);
        gemm(1.0, a, transA, b, transB, 0.0, c);
        return c;
    }

    /**
     * C ← alpha·op(A)·op(B) + beta·C, row-major.
     *
     * @param alpha  the factor of the product
     * @param a      A; read
     * @param transA whether to use Aᵀ
     * @param b      B; read
     * @param transB whether to use Bᵀ
     * @param beta   the factor of C's old values (0: they are not read)
     * @param c      C, overwritten
     * @throws InvalidInputException when the shapes do not fit
     */
    public static void gemm(double alpha, Matrix a, boolean transA, Matrix b, boolean transB, double beta, Matrix c) {
        int m = transA ? a.cols() : a.rows();
        int k = transA ? a.rows() : a.cols();
        int n = transB ? b.rows() : b.cols();
        if (c.rows() != m || c.cols() != n || (transB ? b.cols() : b.rows()) != k) {
            throw new InvalidInputException("gemm shapes do not agree: op(A) " + m + "×" + k + ", op(B) "
                    + (transB ? b.cols() : b.rows()) + "×" + n + ", C " + c.rows() + "×" + c.cols());
        }
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            scale(c.data(), beta);
            return;
        }
        // Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, and a row-major X is column-major Xᵀ.
        // one thread: these products come in long series (Hessian-vector products), where handing the library
        // all cores per call cost more in its threads' spinning than it saved
        BlasSelection.current().blas().dgemm(transB ? "T" : "N", transA ? "T" : "N", n, m, k, alpha, b.data(),
                Math.max(1, b.cols()), a.data(), Math.max(1, a.cols()), beta, c.data(), Math.max(1, n));
    }

    private static void scale(double[] v, double beta) {
        for (int i = 0; i < v.length; i++) {
            v[i] = beta == 0 ? 0 : beta * v[i];
        }
    }

    /**
     * The symmetric eigendecomposition of A (A's lower triangle is read; A is not modified).
     *
     * @param a a symmetric matrix
     * @return the eigenvalues and eigenvectors
     */
    public static Eigen symmetricEigen(Matrix a) {
        return eigen(a, true);
    }

    /**
     * Eigenvalues of the symmetric A only, ascending.
     *
     * @param a a symmetric matrix; not modified
     * @return a new array of eigenvalues, ascending
     */
    public static double[] symmetricEigenvalues(Matrix a) {
        return eigen(a, false).values();
    }

    private static Eigen eigen(Matrix a, boolean vectors) {
        requireSquare(a, "eigendecomposition");
        requireFinite(a);
        int n = a.rows();
        double[] work = a.data().clone();
        double[] w = new double[n];
        String jobz = vectors ? "V" : "N";
        intW info = new intW(0);
        double[] wq = new double[1];
        int[] iq = new int[1];
        LAPACK lapack = BlasSelection.current().lapack();
        lapack.dsyevd(jobz, "U", n, work, Math.max(1, n), w, wq, -1, iq, -1, info);
        if (info.val != 0) {
            throw new NtkException("LAPACK dsyevd workspace query failed (info " + info.val + ")");
        }
        double[] ws = new double[Math.max(1, (int) wq[0])];
        int[] is = new int[Math.max(1, iq[0])];
        lapack.dsyevd(jobz, "U", n, work, Math.max(1, n), w, ws, ws.length, is, is.length, info);
        if (info.val != 0) {
            throw new NtkException("LAPACK dsyevd did not converge on a " + n + "×" + n + " matrix (info " + info.val + ")");
        }
        return new Eigen(w, vectors ? new Matrix(n, n, work) : null);
    }

    /**
     * Solves A·X = B for symmetric positive definite A by Cholesky ({@code dpotrf}, {@code dpotrs}); B may have
     * several columns. Throws {@link NotPositiveDefiniteException} naming the failing pivot when A is not positive
     * definite.
     *
     * @param a the symmetric positive definite A; not modified
     * @param b the right-hand sides B; not modified
     * @return a new matrix X
     * @throws NotPositiveDefiniteException when A is not positive definite
     */
    public static Matrix choleskySolve(Matrix a, Matrix b) {
        requireSquare(a, "Cholesky solve");
        requireFinite(a);
        int n = a.rows();
        if (b.rows() != n) {
            throw new InvalidInputException("right-hand side has " + b.rows() + " rows, the matrix is " + n + "×" + n);
        }
        double[] l = a.data().clone();
        intW info = new intW(0);
        LAPACK lapack = BlasSelection.current().lapack();
        lapack.dpotrf("U", n, l, Math.max(1, n), info);
        if (info.val > 0) {
            throw new NotPositiveDefiniteException(n, info.val);
        }
        if (info.val < 0) {
            throw new NtkException("LAPACK dpotrf rejected argument " + (-info.val));
        }
        // dpotrs works column-major: solve on Bᵀ's columns, i.e. transpose B in and X out.
        int c = b.cols();
        double[] x = new double[n * c];
        double[] bv = b.data();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < c; j++) {
                x[j * n + i] = bv[i * c + j];
            }
        }
        lapack.dpotrs("U", n, c, l, Math.max(1, n), x, Math.max(1, n), info);
        if (info.val != 0) {
            throw new NtkException("LAPACK dpotrs rejected argument " + (-info.val));
        }
        Matrix out = Matrix.zeros(n, c);
        double[] ov = out.data();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < c; j++) {
                ov[i * c + j] = x[j * n + i];
            }
        }
        return out;
    }

    private static void requireSquare(Matrix a, String what) {
        if (a.rows() != a.cols() || a.rows() == 0) {
            throw new InvalidInputException(what + " needs a non-empty square matrix, got (" + a.rows() + ", " + a.cols() + ")");
        }
    }

    private static void requireFinite(Matrix a) {
        for (double v : a.data()) {
            if (!Double.isFinite(v)) {
                throw new InvalidInputException("matrix contains " + v);
            }
        }
    }
}

package org.ntk4j.linalg;

import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;

/**
 * A symmetric positive definite n×n matrix known only by its products with blocks of vectors: {@code A·V} for V of
 * shape n×k. Kernel regression solves with A = Θ + λI; a dense Θ in memory and a Θ held as tiles on a cluster are
 * both operators, so one conjugate-gradient solver ({@link ConjugateGradient}) serves both.
 */
public interface SymmetricOperator {

    /**
     * n, the number of rows (and columns).
     *
     * @return n
     */
    int size();

    /**
     * A·V for V of shape (n, k); V is not modified.
     *
     * @param v V, (n, k)
     * @return A·V, a new matrix
     */
    Matrix apply(Matrix v);

    /**
     * The dense matrix {@code a + shift·I} (a symmetric; neither copied nor modified).
     *
     * @param a     a symmetric matrix, kept
     * @param shift added to the diagonal
     * @return the operator
     */
    static SymmetricOperator dense(Matrix a, double shift) {
        if (a.rows() != a.cols()) {
            throw new InvalidInputException("an operator needs a square matrix, got (" + a.rows() + ", " + a.cols() + ")");
        }
        return new SymmetricOperator() {
            @Override
            public int size() {
                return a.rows();
            }

            @Override
            public Matrix apply(Matrix v) {
                Matrix out = shift == 0 ? Matrix.zeros(v.rows(), v.cols()) : scaled(v, shift);
                LinearAlgebra.gemm(1.0, a, false, v, false, shift == 0 ? 0.0 : 1.0, out);
                return out;
            }
        };
    }

    private static Matrix scaled(Matrix v, double s) {
        double[] d = v.data().clone();
        for (int i = 0; i < d.length; i++) {
            d[i] *= s;
        }
        return new Matrix(v.rows(), v.cols(), d);
    }
}

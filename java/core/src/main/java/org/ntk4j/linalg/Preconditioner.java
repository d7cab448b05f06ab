package org.ntk4j.linalg;

import org.ntk4j.Matrix;

/**
 * M⁻¹ for preconditioned conjugate gradients: a symmetric positive definite approximation of A⁻¹ applied to a
 * block of residuals. {@link Preconditioners} builds the ones kernel regression uses (block-Jacobi, Nyström).
 */
@FunctionalInterface
public interface Preconditioner {

    /**
     * M⁻¹·R for R of shape (n, k); R is not modified.
     *
     * @param r the residuals, one per column
     * @return M⁻¹·R, a new matrix
     */
    Matrix apply(Matrix r);

    /** M = I: plain conjugate gradients. */
    Preconditioner IDENTITY = Matrix::copy;
}

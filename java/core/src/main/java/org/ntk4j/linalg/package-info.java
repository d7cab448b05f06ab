/**
 * The linear algebra the dynamics and kernel regression solve with: dense fp64 BLAS/LAPACK on {@link org.ntk4j.Matrix}
 * values (GEMM, the symmetric eigendecomposition, Cholesky solves; {@link org.ntk4j.linalg.LinearAlgebra}),
 * preconditioned conjugate gradients over a matrix known by its products ({@link org.ntk4j.linalg.ConjugateGradient},
 * {@link org.ntk4j.linalg.SymmetricOperator}, so a kernel held as tiles on a cluster is solved by the same code as a
 * dense one) and the preconditioners for kernel systems ({@link org.ntk4j.linalg.Preconditioners}: block-Jacobi and
 * Nyström). A system without a unique solution is a {@link org.ntk4j.linalg.SingularSystemException}.
 */
package org.ntk4j.linalg;

/**
 * Infinite-width kernels of the dense MLPs the library builds: the NNGP Σ^L and the NTK Θ^L of
 * {@link org.ntk4j.analytic.AnalyticKernel}, in fp64, by the layer recursion of neural-tangents (DESIGN.md §1), for
 * both parameterizations, with and without bias, as full matrices K(x1, x2) or diagonals K(x, x), laid out like
 * {@code Ntk.kernel} results (the limit is Θ^L ⊗ I_O).
 *
 * <p>Design choice: tanh and gelu, which have no closed form, are integrated with a composite Gauss–Legendre rule
 * graded around the activation's bend rather than with the Gauss–Hermite product rule of neural-tangents'
 * {@code ElementwiseNumerical}: measured against an independent integration, a 96-point Gauss–Hermite rule errs by
 * 1e-4 at pre-activation variance 4 and 1e-2 at 16 for tanh (its nodes spread with the standard deviation and step
 * over the bend), the graded rule by below 2e-13 up to variance 64 ({@link org.ntk4j.analytic.DualActivation}).
 */
package org.ntk4j.analytic;

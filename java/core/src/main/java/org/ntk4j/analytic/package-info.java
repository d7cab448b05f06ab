/**
 * Infinite-width kernels of the dense MLPs the library builds: the NNGP Σ^L and the NTK Θ^L of
 * {@link org.ntk4j.analytic.AnalyticKernel}, in fp64, by the layer recursion of neural-tangents (stated in AnalyticKernel's documentation), for
 * both parameterizations, with and without bias, as full matrices K(x1, x2) or diagonals K(x, x), laid out like
 * {@code Ntk.kernel} results (the limit is Θ^L ⊗ I_O).
 *
 * <p>Each hidden layer needs two Gaussian expectations per pair of inputs, K = E[φ(u)φ(v)] and K̇ = E[φ'(u)φ'(v)]
 * ({@link org.ntk4j.analytic.DualActivation}). relu, erf, identity and gelu have closed forms (gelu's derived in
 * {@code DualActivation.Gelu}). For tanh and for a caller's φ the library uses <b>Mehler's Hermite series</b>
 * K = Σ_n c_n(q11)·c_n(q22)·ρ^n, where c_n(q) are the Hermite coefficients of z ↦ φ(√q·z) — computed once per input
 * and layer, for all inputs of a block in one BLAS product — so that a pair costs a short polynomial in its correlation
 * ρ. The series is truncated where a Cauchy–Schwarz bound on the rest reaches 1e-12 of the scale
 * √(K(u,u)·K(v,v)), and pairs it cannot reach by order 2047 (variance above ~16 together with |ρ| near 1, or a φ with a
 * kink) go to the graded quadrature below.
 *
 * <p>Why this and not the alternatives (measured on tanh, against the graded quadrature, which is accurate to 2e-13):
 * <ul>
 *   <li>A product Gauss–Hermite rule on the Cholesky factor (neural-tangents' {@code ElementwiseNumerical}, which
 *       suggests 25 points per direction) spreads its nodes with the standard deviation and steps over tanh's bend
 *       once the variance grows: a 96-point rule errs by 1e-4 at variance 4 and 1e-2 at 16 (its error follows the
 *       decay of the same Hermite coefficients, e^{−τ√(2m)} with τ = π/(2√q)). Another frame (eigenvectors of the
 *       covariance) does not help: in standardised variables the bends lie on u = 0 and v = 0 at a scale 1/√q,
 *       which a Gauss–Hermite rule resolves only with a number of nodes per direction growing like q.</li>
 *   <li>A table in ρ per (q11, q22) class, its nodes integrated once with the accurate rule: in θ = arccos ρ it
 *       converges fast (measured, tanh with q11 = q22: Chebyshev degree 32 holds 1e-11 at q = 4, degree 64 holds
 *       2e-14 at q = 16), but the inputs of real data have as many distinct variances as inputs, so a class is a
 *       single pair unless the inputs are normalised, and a table that also interpolates in q11 and q22 multiplies
 *       its nodes, each a ~1 ms integration.</li>
 *   <li>The Hermite series is that table made separable: the "table" of an input is its coefficient vector, of
 *       length ~120 at variance 1 (~500 at 4, ~2000 at 16) for tanh, and a pair needs only as many terms as its
 *       |ρ| and the bound demand (24 on average over the three layers of the benchmark). The bound is computed,
 *       not assumed, so the truncation cannot silently lose accuracy; where it cannot be met the pair is
 *       integrated.</li>
 * </ul>
 * Measured: max error over variances 0.01–100 (unequal too) and |ρ| up to 1 (degenerate included), against the
 * graded rule or a closed form: 8e-13 for tanh and its lambda twin, 9e-13 for gelu and 1.2e-12 for erf through the
 * series, 1e-14 for x² + x and the identity (tests: {@code HermiteSeriesTest}). Cost per kernel entry and layer at
 * N = 2000 (bench/RESULTS.md, "Infinite-width kernels"): tanh about 0.2 µs of CPU against 1.5 ms for the graded
 * rule, gelu 0.06 µs against 2.3 ms.
 *
 * <p>The graded rule ({@link org.ntk4j.analytic.DualActivation#graded}) stays as the accurate reference and the
 * fallback: composite Gauss–Legendre on u and on v | u, graded around 0 where activations bend, with the wider of the
 * two variables outside (so that the inner mean β·u, |β| ≤ 1, bends no faster than φ(u)) and the outer rule graded
 * down to the inner bend's width σ(v | u)/|β| (for a kinked φ near |ρ| = 1).
 *
 * <p>Blocks and threads: {@link org.ntk4j.analytic.AnalyticKernel#compute} on row ranges is the block
 * Θ(X1[i0:i1], X2[j0:j1]); per layer it computes each row's and column's side once
 * (its variance and, for the series, its Hermite coefficients), then the pairs in row blocks of equal work on the common
 * fork-join pool. Dot products x·x' are summed in one fixed order for self and cross products, so a pair's value
 * does not depend on the block it falls in (up to the series' 1e-12, whose order is chosen per block).
 */
package org.ntk4j.analytic;

/**
 * The lazy-training experiments as library functions returning {@link org.ntk4j.experiments.Report}s of
 * {@link org.ntk4j.experiments.Table}s (long layout, one series per width, fitted log-log slopes, plot hints in the
 * tables' metadata), and the demo that runs them all ({@link org.ntk4j.experiments.LazyTrainingDemo}).
 *
 * <p>Design choices. (1) The step size is set per width from that network's own empirical NTK (η = n/λ_max, half
 * the stability limit), not from the infinite-width kernel: at width 16 the empirical λ_max was more than twice
 * the wide networks' on the demo's digits, and a step from the limit made the linearized model diverge. (2) The linearization uses the full
 * (N·O)² kernel up to N·O = 4096: the trace kernel Θ ⊗ I_O drops cross-output terms of order width^−½, which on
 * 256 digits doubled the measured network–linearization gap at width 2048. Measured results: bench/RESULTS.md.
 */
package org.ntk4j.experiments;

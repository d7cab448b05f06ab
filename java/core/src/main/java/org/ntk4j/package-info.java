/**
 * The API: {@link org.ntk4j.Ntk}, the one entry point, opened with {@link org.ntk4j.Ntk#open()} or configured with
 * {@link org.ntk4j.Ntk#builder()}, computes empirical Neural Tangent Kernels, forward passes, Jacobians and MSE
 * gradients of a dense network ({@link org.ntk4j.model}) on a backend. Data goes in and out as
 * {@link org.ntk4j.Matrix} (a batch of examples, one per row) and {@link org.ntk4j.Tensor} (a kernel in the layout of
 * its {@link org.ntk4j.NtkMode}); {@link org.ntk4j.KernelLayout} converts between the layouts.
 * {@link org.ntk4j.PreparedModel} keeps a network on a backend between calls.
 *
 * <p>Errors are unchecked {@link org.ntk4j.NtkException}s naming the problem: {@link org.ntk4j.InvalidInputException}
 * for bad arguments, {@link org.ntk4j.BackendUnavailableException} when a backend cannot run here,
 * {@link org.ntk4j.BackendClosedException} after {@code close()}.
 *
 * <p>Arrays: every method documents whether it copies an array it is given or keeps it. The rule of thumb: data
 * holders ({@code Matrix}, {@code Tensor}, {@code Parameters.of}, {@code LossGradient}) keep the
 * arrays they are built on; computations read their inputs during the call, never keep them, and return new arrays
 * the caller owns.
 */
package org.ntk4j;

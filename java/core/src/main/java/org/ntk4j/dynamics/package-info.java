/**
 * Training dynamics on any backend ({@link org.ntk4j.Ntk}): full-batch gradient descent on MSE with weight and kernel
 * tracking ({@link org.ntk4j.dynamics.GradientDescent}), the linearized model's closed-form trajectory
 * ({@link org.ntk4j.dynamics.LinearizedDynamics}, through the eigendecomposition and Cholesky solves of
 * {@link org.ntk4j.linalg}), step sizes from the NTK's spectrum ({@link org.ntk4j.dynamics.LearningRates}) and the
 * lazy-training score ({@link org.ntk4j.dynamics.LazyScore}).
 *
 * <p>Design choices. (1) The Hessian-vector products behind the lazy score are exact (forward-over-reverse on the
 * host, {@link org.ntk4j.dynamics.NetworkCurvature}), not finite differences of backend gradients: relu networks
 * are piecewise polynomial in θ, and at N·width ≈ 10⁵–10⁶ pre-activations some unit crosses its kink for any
 * difference step rounding allows, adding a jump divided by the step. (2) The Hessian's top |eigenvalue| comes from
 * two-pass Lanczos rather than power iteration: these Hessians are indefinite with clustered extreme eigenvalues
 * (nearly opposite pairs ±λ for relu), where power iteration converges slowly and Lanczos in far fewer products. (3) Linearized
 * predictions offer the discrete gradient-descent trajectory (1 − ηλ/n)^t beside neural-tangents' gradient flow
 * e^{−ηλt/n}: comparing a trained network with its linearization should use the same updates.
 */
package org.ntk4j.dynamics;

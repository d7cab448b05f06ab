package org.ntk4j;

import org.ntk4j.model.Parameters;

/**
 * One way of computing the network's quantities: the fp64 reference, the CPU path, or CUDA. Every method validates
 * its inputs (see {@link Validation}) and throws {@link InvalidInputException} naming the problem. Implementations
 * hold threads, native or device memory, hence {@link AutoCloseable}.
 */
public interface Backend extends AutoCloseable {

    /** Short human-readable description, e.g. "cpu fp32 (OpenBLAS, Vector API, 2 threads)". */
    String name();

    /** Which kind of backend this is (never {@link BackendKind#AUTO}). */
    BackendKind kind();

    /** The precision this instance computes in. */
    Precision precision();

    /** f(x) for a batch: (N, d) → (N, O). */
    Matrix forward(Parameters params, Matrix x);

    /**
     * The MSE loss L = ½·mean((f(x) − y)²) over all N·O entries and its gradient ∂L/∂θ as a flat vector in the
     * documented parameter order (neural-tangents' {@code gradient_descent_mse} convention).
     */
    LossGradient mseLossGradient(Parameters params, Matrix x, Matrix y);

    /**
     * The per-example Jacobian J ∈ R^{(N·O)×P}, row (n·O + a) = ∂f_a(x_n)/∂θ. Only for models where N·O·P fits one
     * array; the NTK methods never need it whole.
     */
    Matrix jacobian(Parameters params, Matrix x);

    /**
     * The empirical NTK Θ(x1, x2). Pass {@code x2 == null} (or the same instance as x1) for Θ(x1, x1), which is
     * then exactly symmetric.
     */
    Tensor ntk(Parameters params, Matrix x1, Matrix x2, NtkMode mode, Implementation implementation);

    /** Releases threads, native and device memory. Idempotent. */
    @Override
    void close();
}

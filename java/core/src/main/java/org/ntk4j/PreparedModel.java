package org.ntk4j;

import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.spi.Validation;

/**
 * A network's parameters held by a backend between calls — converted once to the backend's precision and, on a GPU,
 * resident in device memory — for the calls a training loop makes many times: forward passes, MSE gradients, kernels
 * and in-place gradient-descent steps. Obtained from {@link Ntk#prepare(Parameters)}; close it to free what it holds.
 *
 * <pre>{@code
 * try (Ntk ntk = Ntk.open(); PreparedModel model = ntk.prepare(Parameters.init(arch, 1))) {
 *     for (int t = 0; t < 200; t++) {
 *         double loss = model.step(x, y, 0.5);   // θ ← θ − 0.5·∇L(θ); the gradient never leaves the backend
 *     }
 *     Parameters trained = model.parameters();   // an fp64 host copy
 * }
 * }</pre>
 *
 * <p>Every public method here is final: it checks that the model (and its backend) is open, else
 * {@link BackendClosedException}, and validates its arguments, else {@link InvalidInputException}, before the
 * backend's implementation runs. The parameters given to {@code prepare} are copied; inputs are read during a call
 * and never kept. One model is used by one thread at a time (calls are serialised).
 */
public abstract class PreparedModel implements AutoCloseable {
    private final Architecture arch;
    private boolean closed;

    /**
     * For backends: a model of this architecture.
     *
     * @param arch the network's architecture
     */
    protected PreparedModel(Architecture arch) {
        this.arch = arch;
    }

    /**
     * The network's architecture.
     *
     * @return the architecture
     */
    public final Architecture architecture() {
        return arch;
    }

    /**
     * A host copy (fp64) of the current parameters; after {@link #step} they differ from the prepared ones.
     *
     * @return a new fp64 copy
     * @throws BackendClosedException once this model or its backend is closed
     */
    public final synchronized Parameters parameters() {
        requireOpen();
        return currentParameters();
    }

    /**
     * f(x), (N, O), at the current parameters.
     *
     * @param x the inputs, (N, d)
     * @return a new (N, O) matrix
     * @throws InvalidInputException when an argument is invalid
     * @throws BackendClosedException once this model or its backend is closed
     */
    public final synchronized Matrix forward(Matrix x) {
        requireOpen();
        Validation.requireInputs(arch, x, "x");
        return computeForward(x);
    }

    /**
     * The MSE loss ½·mean((f(x) − y)²) and its gradient at the current parameters, as {@link Ntk#mseLossGradient}.
     *
     * @param x the inputs, (N, d)
     * @param y the targets, (N, O)
     * @return the loss and a new gradient array
     * @throws InvalidInputException when an argument is invalid
     * @throws BackendClosedException once this model or its backend is closed
     */
    public final synchronized LossGradient mseLossGradient(Matrix x, Matrix y) {
        requireOpen();
        Validation.requireInputs(arch, x, "x");
        Validation.requireTargets(arch, x, y);
        return computeMseLossGradient(x, y);
    }

    /**
     * One full-batch gradient-descent step on the MSE loss, in place: θ ← θ − learningRate·∇L(θ). Returns the loss
     * at θ before the step. The gradient stays in the backend (on a GPU it never crosses to the host).
     *
     * @param x            the inputs, (N, d)
     * @param y            the targets, (N, O)
     * @param learningRate η, positive and finite
     * @return the loss before the step
     * @throws InvalidInputException when an argument is invalid
     * @throws BackendClosedException once this model or its backend is closed
     */
    public final synchronized double step(Matrix x, Matrix y, double learningRate) {
        requireOpen();
        Validation.requireInputs(arch, x, "x");
        Validation.requireTargets(arch, x, y);
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new InvalidInputException("learning rate must be positive and finite, got " + learningRate);
        }
        return computeStep(x, y, learningRate);
    }

    /**
     * How far each layer has moved since {@code prepare}: for l = 0 … L−1, ‖θ_l − θ_l(prepared)‖₂ over W^l and b^l
     * together (the numerator of the relative weight change of lazy training), computed where the parameters live.
     *
     * @return a new array of L distances
     * @throws BackendClosedException once this model or its backend is closed
     */
    public final synchronized double[] layerDistancesFromStart() {
        requireOpen();
        return computeLayerDistancesFromStart();
    }

    /**
     * Θ(x, x) at the current parameters, exactly symmetric, by {@link Implementation#AUTO}.
     *
     * @param x    the inputs, (N, d)
     * @param mode which values
     * @return a new tensor in the mode's shape
     * @throws InvalidInputException when an argument is invalid
     * @throws BackendClosedException once this model or its backend is closed
     */
    public final Tensor kernel(Matrix x, NtkMode mode) {
        return kernel(x, mode, Implementation.AUTO);
    }

    /**
     * Θ(x, x) at the current parameters, exactly symmetric.
     *
     * @param x              the inputs, (N, d)
     * @param mode           which values
     * @param implementation how; {@link Implementation#AUTO} lets the backend choose
     * @return a new tensor in the mode's shape
     * @throws InvalidInputException when an argument is invalid
     * @throws BackendClosedException once this model or its backend is closed
     */
    public final synchronized Tensor kernel(Matrix x, NtkMode mode, Implementation implementation) {
        requireOpen();
        return computeKernel(x, x, true, mode, implementation);
    }

    /**
     * Θ(x1, x2) at the current parameters by {@link Implementation#AUTO}.
     *
     * @param x1   the first inputs, (N1, d)
     * @param x2   the second inputs, (N2, d)
     * @param mode which values
     * @return a new tensor in the mode's shape
     * @throws InvalidInputException when an argument is invalid
     * @throws BackendClosedException once this model or its backend is closed
     */
    public final Tensor kernel(Matrix x1, Matrix x2, NtkMode mode) {
        return kernel(x1, x2, mode, Implementation.AUTO);
    }

    /**
     * Θ(x1, x2) at the current parameters.
     *
     * @param x1             the first inputs, (N1, d)
     * @param x2             the second inputs, (N2, d)
     * @param mode           which values
     * @param implementation how; {@link Implementation#AUTO} lets the backend choose
     * @return a new tensor in the mode's shape
     * @throws InvalidInputException when an argument is invalid
     * @throws BackendClosedException once this model or its backend is closed
     */
    public final synchronized Tensor kernel(Matrix x1, Matrix x2, NtkMode mode, Implementation implementation) {
        requireOpen();
        return computeKernel(x1, x2, x1 == x2, mode, implementation);
    }

    /**
     * The full Θ(x, x) at the current parameters as the (N·O)×(N·O) matrix of
     * {@link Ntk#kernelMatrix(Parameters, Matrix)}, exactly symmetric, by {@link Implementation#AUTO}.
     *
     * @param x the inputs, (N, d)
     * @return a new (N·O, N·O) matrix
     * @throws InvalidInputException when an argument is invalid
     * @throws BackendClosedException once this model or its backend is closed
     */
    public final Matrix kernelMatrix(Matrix x) {
        return kernelMatrix(x, x, Implementation.AUTO);
    }

    /**
     * {@link #kernelMatrix(Matrix)} by the given implementation.
     *
     * @param x              the inputs, (N, d)
     * @param implementation how; {@link Implementation#AUTO} lets the backend choose
     * @return a new (N·O, N·O) matrix
     * @throws InvalidInputException when an argument is invalid
     * @throws BackendClosedException once this model or its backend is closed
     */
    public final Matrix kernelMatrix(Matrix x, Implementation implementation) {
        return kernelMatrix(x, x, implementation);
    }

    /**
     * The full Θ(x1, x2) at the current parameters as the (N1·O)×(N2·O) matrix of {@link #kernelMatrix(Matrix)}.
     *
     * @param x1 the first inputs, (N1, d)
     * @param x2 the second inputs, (N2, d)
     * @return a new (N1·O, N2·O) matrix
     * @throws InvalidInputException when an argument is invalid
     * @throws BackendClosedException once this model or its backend is closed
     */
    public final Matrix kernelMatrix(Matrix x1, Matrix x2) {
        return kernelMatrix(x1, x2, Implementation.AUTO);
    }

    /**
     * {@link #kernelMatrix(Matrix, Matrix)} by the given implementation.
     *
     * @param x1             the first inputs, (N1, d)
     * @param x2             the second inputs, (N2, d)
     * @param implementation how; {@link Implementation#AUTO} lets the backend choose
     * @return a new (N1·O, N2·O) matrix
     * @throws InvalidInputException when an argument is invalid
     * @throws BackendClosedException once this model or its backend is closed
     */
    public final Matrix kernelMatrix(Matrix x1, Matrix x2, Implementation implementation) {
        return KernelLayout.fullToMatrix(kernel(x1, x2, NtkMode.FULL, implementation));
    }

    /**
     * The per-example Jacobian at the current parameters, as {@link Ntk#jacobian(Parameters, Matrix)}: row n·O + a =
     * ∂f_a(x_n)/∂θ in the parameter order of {@link Parameters}.
     *
     * @param x the inputs, (N, d)
     * @return a new (N·O, P) matrix
     * @throws InvalidInputException when an argument is invalid or N·O·P values do not fit one array
     * @throws BackendClosedException once this model or its backend is closed
     */
    public final synchronized Matrix jacobian(Matrix x) {
        requireOpen();
        Validation.requireInputs(arch, x, "x");
        return computeJacobian(x);
    }

    /**
     * The empirical NNGP Σ(x, x) = f_a(x_i)·f_b(x_j) at the current parameters, exactly symmetric; see
     * {@link Ntk#nngp(Parameters, Matrix, NtkMode)}.
     *
     * @param x    the inputs, (N, d)
     * @param mode which values
     * @return a new tensor in the mode's shape
     * @throws InvalidInputException when an argument is invalid
     * @throws BackendClosedException once this model or its backend is closed
     */
    public final Tensor nngp(Matrix x, NtkMode mode) {
        return nngp(x, x, mode);
    }

    /**
     * The empirical NNGP Σ(x1, x2) = f_a(x1_i)·f_b(x2_j) at the current parameters; see
     * {@link Ntk#nngp(Parameters, Matrix, Matrix, NtkMode)}. The same instance twice is the symmetric form.
     *
     * @param x1   the first inputs, (N1, d)
     * @param x2   the second inputs, (N2, d)
     * @param mode which values
     * @return a new tensor in the mode's shape
     * @throws InvalidInputException when an argument is invalid
     * @throws BackendClosedException once this model or its backend is closed
     */
    public final synchronized Tensor nngp(Matrix x1, Matrix x2, NtkMode mode) {
        requireOpen();
        Validation.requireNtkArguments(arch, x1, x2, mode, Implementation.AUTO);
        Matrix f1 = computeForward(x1);
        return EmpiricalNngp.of(f1, x2 == x1 ? f1 : computeForward(x2), mode);
    }

    /**
     * The empirical NTK or NNGP at this model's current parameters as a {@link KernelFunction}: its {@code kernel}
     * calls are {@link #kernel(Matrix, Matrix, NtkMode, Implementation)} or {@link #nngp(Matrix, Matrix, NtkMode)},
     * so they see later steps. It uses this model (close that when done, not the function).
     *
     * @param kind           the NTK or the NNGP
     * @param implementation how the NTK is computed; the NNGP ignores it
     * @return the kernel function
     * @throws InvalidInputException when an argument is missing
     */
    public final KernelFunction kernelFunction(KernelKind kind, Implementation implementation) {
        if (kind == null || implementation == null) {
            throw new InvalidInputException("kernel kind and implementation must be given");
        }
        return KernelFunction.of(kind, arch.inputDim(), arch.outputDim(), "empirical " + kind.name()
                + " of a prepared model", (x1, x2, mode) -> kind == KernelKind.NTK
                        ? kernel(x1, x2, mode, implementation) : nngp(x1, x2, mode));
    }

    /** Frees what the backend holds for this model. Idempotent; does not close the backend. */
    @Override
    public final synchronized void close() {
        if (!closed) {
            closed = true;
            release();
        }
    }

    /**
     * The current parameters as an fp64 host copy.
     *
     * @return a new fp64 copy
     */
    protected abstract Parameters currentParameters();

    /**
     * {@link #forward} after validation.
     *
     * @param x valid inputs
     * @return f(x), (N, O)
     */
    protected abstract Matrix computeForward(Matrix x);

    /**
     * {@link #jacobian} after validation.
     *
     * @param x the inputs, valid
     * @return a new (N·O, P) matrix
     */
    protected abstract Matrix computeJacobian(Matrix x);

    /**
     * {@link #mseLossGradient} after validation.
     *
     * @param x valid inputs
     * @param y valid targets
     * @return the loss and its gradient
     */
    protected abstract LossGradient computeMseLossGradient(Matrix x, Matrix y);

    /**
     * {@link #step} after validation.
     *
     * @param x            valid inputs
     * @param y            valid targets
     * @param learningRate a positive, finite η
     * @return the loss before the step
     */
    protected abstract double computeStep(Matrix x, Matrix y, double learningRate);

    /**
     * {@link #layerDistancesFromStart}.
     *
     * @return one distance per layer
     */
    protected abstract double[] computeLayerDistancesFromStart();

    /**
     * {@link #kernel} — validation included: implementations usually hand over to their backend's validated
     * {@code ntk}, or call {@link Validation#requireNtkArguments} themselves.
     *
     * @param x1             the first inputs (not yet validated)
     * @param x2             the second inputs, the same instance as x1 when symmetric
     * @param symmetric      whether x2 is x1
     * @param mode           the layout to return
     * @param implementation the implementation asked for
     * @return Θ(x1, x2) in the mode's shape
     */
    protected abstract Tensor computeKernel(Matrix x1, Matrix x2, boolean symmetric, NtkMode mode,
                                            Implementation implementation);

    /** Frees what the model holds; called once. */
    protected abstract void release();

    /** Throws {@link BackendClosedException} once this model or its backend is closed. */
    protected void requireOpen() {
        if (closed) {
            throw new BackendClosedException("this prepared model is closed");
        }
    }
}

package org.ntk4j.spi;

import org.ntk4j.BackendClosedException;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.KernelLayout;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.PreparedModel;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * What a backend implements: the network's forward pass, per-example Jacobian, MSE gradient and empirical NTK in one
 * precision, on one kind of hardware. Users reach a backend through {@link org.ntk4j.Ntk}; this class is the service
 * side, found through a {@link BackendProvider}.
 *
 * <p>Every public method here is final and does the same two things before it hands over to the implementation:
 * it checks that the backend is open (else {@link BackendClosedException}) and validates the arguments with
 * {@link Validation} (else {@link org.ntk4j.InvalidInputException} naming the problem). So every backend rejects
 * the same input with the same message, and an implementation's {@code compute…} methods receive only valid input.
 *
 * <p>Closing: {@link #close()} lets calls that are already running finish (it waits for them, unless it is called
 * from inside one of them, in which case the release happens when that call returns), then calls
 * {@link #release()} exactly once. Calls that start after {@code close()} throw {@link BackendClosedException}.
 *
 * <p>Thread safety: calls may come from several threads at once; implementations must allow that.
 */
public abstract class Backend implements AutoCloseable {
    private final Object lock = new Object();
    private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[1]);
    private int running;
    private boolean closed;
    private boolean released;

    /** For subclasses. */
    protected Backend() {
    }

    /**
     * The provider's name of this backend, e.g. {@code "cpu"} or {@code "cuda"} (see {@link BackendProvider#name}).
     *
     * @return the name, lower case
     */
    public abstract String name();

    /**
     * A one-line description of this instance, e.g. "cpu fp32 (OpenBLAS 0.3.31, Vector API, 2 threads)".
     *
     * @return the description
     */
    public abstract String description();

    /**
     * The precision this instance computes in.
     *
     * @return the precision
     */
    public abstract Precision precision();

    /**
     * f(x) for a batch: (N, d) → (N, O). The input is read, not kept.
     *
     * @param params the network
     * @param x      the inputs, (N, d)
     * @return a new (N, O) matrix
     * @throws org.ntk4j.InvalidInputException when an argument is invalid
     * @throws BackendClosedException after {@link #close()}
     */
    public final Matrix forward(Parameters params, Matrix x) {
        enter();
        try {
            Validation.requireParameters(params);
            Validation.requireInputs(params.architecture(), x, "x");
            return computeForward(params, x);
        } finally {
            exit();
        }
    }

    /**
     * The MSE loss L = ½·mean((f(x) − y)²) over all N·O entries and its gradient ∂L/∂θ as a flat vector in the
     * parameter order of {@link Parameters} (neural-tangents' {@code gradient_descent_mse} convention).
     *
     * @param params the network
     * @param x      the inputs, (N, d)
     * @param y      the targets, (N, O)
     * @return the loss and a new gradient array of P values
     * @throws org.ntk4j.InvalidInputException when an argument is invalid
     * @throws BackendClosedException after {@link #close()}
     */
    public final LossGradient mseLossGradient(Parameters params, Matrix x, Matrix y) {
        enter();
        try {
            Validation.requireParameters(params);
            Validation.requireInputs(params.architecture(), x, "x");
            Validation.requireTargets(params.architecture(), x, y);
            return computeMseLossGradient(params, x, y);
        } finally {
            exit();
        }
    }

    /**
     * The per-example Jacobian J ∈ R^{(N·O)×P}, row (n·O + a) = ∂f_a(x_n)/∂θ. Only for models where N·O·P fits one
     * array; the NTK methods never need it whole.
     *
     * @param params the network
     * @param x      the inputs, (N, d)
     * @return a new (N·O, P) matrix
     * @throws org.ntk4j.InvalidInputException when an argument is invalid or N·O·P values do not fit one array
     * @throws BackendClosedException after {@link #close()}
     */
    public final Matrix jacobian(Parameters params, Matrix x) {
        enter();
        try {
            Validation.requireParameters(params);
            Validation.requireInputs(params.architecture(), x, "x");
            Validation.requireJacobianSize(params.architecture(), x.rows());
            return computeJacobian(params, x);
        } finally {
            exit();
        }
    }

    /**
     * The empirical NTK Θ(x, x), exactly symmetric, in the layout of {@code mode}.
     *
     * @param params         the network
     * @param x              the inputs, (N, d)
     * @param mode           which values
     * @param implementation how; {@link Implementation#AUTO} lets the backend choose
     * @return a new tensor in the mode's shape
     * @throws org.ntk4j.InvalidInputException when an argument is invalid
     * @throws BackendClosedException after {@link #close()}
     */
    public final Tensor kernel(Parameters params, Matrix x, NtkMode mode, Implementation implementation) {
        enter();
        try {
            Validation.requireNtkArguments(params, x, x, mode, implementation);
            return computeKernel(params, x, x, true, mode, implementation);
        } finally {
            exit();
        }
    }

    /**
     * The empirical NTK Θ(x1, x2) in the layout of {@code mode}. Passing the same instance twice is the symmetric
     * kernel {@link #kernel(Parameters, Matrix, NtkMode, Implementation)}.
     *
     * @param params         the network
     * @param x1             the first inputs, (N1, d)
     * @param x2             the second inputs, (N2, d)
     * @param mode           which values
     * @param implementation how; {@link Implementation#AUTO} lets the backend choose
     * @return a new tensor in the mode's shape
     * @throws org.ntk4j.InvalidInputException when an argument is invalid
     * @throws BackendClosedException after {@link #close()}
     */
    public final Tensor kernel(Parameters params, Matrix x1, Matrix x2, NtkMode mode, Implementation implementation) {
        enter();
        try {
            Validation.requireNtkArguments(params, x1, x2, mode, implementation);
            return computeKernel(params, x1, x2, x1 == x2, mode, implementation);
        } finally {
            exit();
        }
    }

    /**
     * The full empirical NTK Θ(x, x) as the (N·O)×(N·O) matrix of {@link org.ntk4j.KernelLayout}'s matrix layout,
     * exactly symmetric.
     *
     * @param params         the network
     * @param x              the inputs, (N, d)
     * @param implementation how; {@link Implementation#AUTO} lets the backend choose
     * @return a new (N·O, N·O) matrix
     * @throws org.ntk4j.InvalidInputException when an argument is invalid
     * @throws BackendClosedException after {@link #close()}
     */
    public final Matrix kernelMatrix(Parameters params, Matrix x, Implementation implementation) {
        enter();
        try {
            Validation.requireNtkArguments(params, x, x, NtkMode.FULL, implementation);
            return computeKernelMatrix(params, x, x, true, implementation);
        } finally {
            exit();
        }
    }

    /**
     * The full empirical NTK Θ(x1, x2) as the (N1·O)×(N2·O) matrix of {@link org.ntk4j.KernelLayout}'s matrix
     * layout. Passing the same instance twice is {@link #kernelMatrix(Parameters, Matrix, Implementation)}.
     *
     * @param params         the network
     * @param x1             the first inputs, (N1, d)
     * @param x2             the second inputs, (N2, d)
     * @param implementation how; {@link Implementation#AUTO} lets the backend choose
     * @return a new (N1·O, N2·O) matrix
     * @throws org.ntk4j.InvalidInputException when an argument is invalid
     * @throws BackendClosedException after {@link #close()}
     */
    public final Matrix kernelMatrix(Parameters params, Matrix x1, Matrix x2, Implementation implementation) {
        enter();
        try {
            Validation.requireNtkArguments(params, x1, x2, NtkMode.FULL, implementation);
            return computeKernelMatrix(params, x1, x2, x1 == x2, implementation);
        } finally {
            exit();
        }
    }

    /**
     * Holds a copy of these parameters in this backend for repeated calls (see {@link PreparedModel}). The model
     * must be closed before the backend; it fails with {@link BackendClosedException} once the backend is closed.
     *
     * @param params the network; copied
     * @return an open model; close it before the backend
     * @throws BackendClosedException after {@link #close()}
     */
    public final PreparedModel prepare(Parameters params) {
        enter();
        try {
            Validation.requireParameters(params);
            return createPreparedModel(params.copy());
        } finally {
            exit();
        }
    }

    /**
     * A prepared model of the initial parameters {@code Parameters.init(arch, seed)}, built where the backend keeps
     * them: a backend that holds models on a device generates them there layer by layer from
     * {@link Parameters#initialRow}, so the host never holds a whole layer — the way to models too large for host
     * arrays (e.g. a width-65,536 hidden layer has 2^32 weights). The result is the same as
     * {@code prepare(Parameters.init(arch, seed))}.
     *
     * @param arch the network's shape
     * @param seed the initialization seed
     * @return the prepared model
     */
    public final PreparedModel prepare(Architecture arch, long seed) {
        enter();
        try {
            if (arch == null) {
                throw new InvalidInputException("architecture must be given");
            }
            return createPreparedModel(arch, seed);
        } finally {
            exit();
        }
    }

    /**
     * A prepared model of these parameters (a copy the model may keep). The default keeps them on the host and calls
     * this backend's methods; backends that can keep them closer to the hardware override it.
     *
     * @param params a copy of the caller's parameters, the model's to keep
     * @return the model
     */
    protected PreparedModel createPreparedModel(Parameters params) {
        return new HostPreparedModel(this, params);
    }

    /**
     * A prepared model of {@code Parameters.init(arch, seed)}; the default materialises them on the host first.
     *
     * @param arch the architecture
     * @param seed the initialisation seed
     * @return the model
     */
    protected PreparedModel createPreparedModel(Architecture arch, long seed) {
        return createPreparedModel(Parameters.init(arch, seed));
    }

    /**
     * {@link #forward} after validation.
     *
     * @param params valid parameters
     * @param x      valid inputs for them
     * @return f(x), (N, O)
     */
    protected abstract Matrix computeForward(Parameters params, Matrix x);

    /**
     * {@link #mseLossGradient} after validation.
     *
     * @param params valid parameters
     * @param x      valid inputs for them
     * @param y      valid targets, (N, O)
     * @return the loss and its gradient
     */
    protected abstract LossGradient computeMseLossGradient(Parameters params, Matrix x, Matrix y);

    /**
     * {@link #jacobian} after validation.
     *
     * @param params valid parameters
     * @param x      valid inputs, whose Jacobian fits one array
     * @return J, (N·O, P)
     */
    protected abstract Matrix computeJacobian(Parameters params, Matrix x);

    /**
     * {@link #kernel} after validation; {@code symmetric} means x2 is x1 and the result must be exactly symmetric.
     * {@code implementation} may be {@link Implementation#AUTO}: the backend picks.
     *
     * @param params         valid parameters
     * @param x1             valid inputs
     * @param x2             valid inputs; the same instance as x1 when symmetric
     * @param symmetric      whether x2 is x1
     * @param mode           the layout to return
     * @param implementation the implementation asked for, possibly AUTO
     * @return Θ(x1, x2) in the mode's shape, in float32 storage when the backend computes in fp32 or tf32
     */
    protected abstract Tensor computeKernel(Parameters params, Matrix x1, Matrix x2, boolean symmetric, NtkMode mode,
                                            Implementation implementation);

    /**
     * {@link #kernelMatrix} after validation. The default reorders {@link #computeKernel}'s full kernel once; a backend
     * whose products come out in matrix layout overrides it to skip that.
     *
     * @param params         valid parameters
     * @param x1             valid inputs
     * @param x2             valid inputs; the same instance as x1 when symmetric
     * @param symmetric      whether x2 is x1
     * @param implementation the implementation asked for, possibly AUTO
     * @return Θ(x1, x2) in matrix layout, (N1·O, N2·O)
     */
    protected Matrix computeKernelMatrix(Parameters params, Matrix x1, Matrix x2, boolean symmetric,
                                         Implementation implementation) {
        return KernelLayout.fullToMatrix(computeKernel(params, x1, x2, symmetric, NtkMode.FULL, implementation));
    }

    /** Releases threads, native and device memory; called once, after every running call has returned. */
    protected abstract void release();

    /**
     * Whether {@link #close()} has been called.
     *
     * @return true once {@link #close()} has been called
     */
    public final boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /**
     * Marks the start of a call; throws {@link BackendClosedException} once closed. Subclasses that add public
     * operations of their own wrap them in {@code enter()} / {@code exit()} as the methods above do.
     */
    protected final void enter() {
        synchronized (lock) {
            if (closed) {
                throw new BackendClosedException("the " + name() + " backend is closed");
            }
            running++;
        }
        depth.get()[0]++;
    }

    /** Marks the end of a call begun with {@link #enter()}. */
    protected final void exit() {
        int[] d = depth.get();
        if (--d[0] == 0) {
            depth.remove();
        }
        boolean releaseNow;
        synchronized (lock) {
            running--;
            releaseNow = closed && running == 0 && !released;
            if (releaseNow) {
                released = true;
            }
            lock.notifyAll();
        }
        if (releaseNow) {
            release();
        }
    }

    /**
     * Closes this backend. Idempotent. Waits for running calls on other threads; when called from inside a call on
     * this thread the release happens as that call returns.
     */
    @Override
    public final void close() {
        boolean interrupted = false;
        boolean releaseNow;
        synchronized (lock) {
            closed = true;
            int mine = depth.get()[0];
            if (mine == 0) {
                depth.remove();
            }
            while (running > mine) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            releaseNow = running == 0 && !released;
            if (releaseNow) {
                released = true;
            }
        }
        if (releaseNow) {
            release();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return description();
    }
}

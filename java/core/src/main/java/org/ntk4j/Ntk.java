package org.ntk4j;

import org.ntk4j.model.Parameters;

/**
 * The entry point: empirical NTKs, forward passes, Jacobians and MSE gradients on the best backend available (or
 * the one asked for).
 *
 * <pre>{@code
 * Architecture arch = Architecture.builder(64).hidden(512, 512).output(10).build();
 * Parameters params = Parameters.init(arch, 42);
 * try (Ntk ntk = Ntk.open(BackendKind.AUTO, Precision.FP32)) {
 *     Tensor k = ntk.kernel(params, x, null, NtkMode.TRACE);   // (N, N)
 * }
 * }</pre>
 */
public final class Ntk implements AutoCloseable {
    private final Backend backend;

    private Ntk(Backend backend) {
        this.backend = backend;
    }

    /** The best available backend in fp32. */
    public static Ntk open() {
        return open(BackendKind.AUTO, Precision.FP32);
    }

    /** A backend of this kind and precision; see {@link Backends#open}. */
    public static Ntk open(BackendKind kind, Precision precision) {
        return new Ntk(Backends.open(kind, precision));
    }

    /** Wraps a backend the caller opened. */
    public static Ntk using(Backend backend) {
        return new Ntk(backend);
    }

    public Backend backend() {
        return backend;
    }

    /** Θ(x1, x2) with {@link Implementation#AUTO}; x2 null means x1. */
    public Tensor kernel(Parameters params, Matrix x1, Matrix x2, NtkMode mode) {
        return backend.ntk(params, x1, x2, mode, Implementation.AUTO);
    }

    /** Θ(x1, x2) by the given implementation; x2 null means x1. */
    public Tensor kernel(Parameters params, Matrix x1, Matrix x2, NtkMode mode, Implementation implementation) {
        return backend.ntk(params, x1, x2, mode, implementation);
    }

    public Matrix forward(Parameters params, Matrix x) {
        return backend.forward(params, x);
    }

    public Matrix jacobian(Parameters params, Matrix x) {
        return backend.jacobian(params, x);
    }

    public LossGradient mseLossGradient(Parameters params, Matrix x, Matrix y) {
        return backend.mseLossGradient(params, x, y);
    }

    @Override
    public void close() {
        backend.close();
    }
}

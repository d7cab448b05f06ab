package org.ntk4j.cli;

import java.util.Locale;
import org.ntk4j.Implementation;
import org.ntk4j.KernelFunction;
import org.ntk4j.KernelKind;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.analytic.AnalyticKernel;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * A kernel (core's {@link KernelFunction}: the empirical NTK or NNGP on a backend, or the infinite-width one) as the
 * commands use it: with the words of the summary line, what it holds open (closed with it), and an estimate of the
 * working memory per example and per pair, which sizes the tiles of a kernel larger than memory.
 */
final class KernelSource implements AutoCloseable {
    private final KernelFunction function;
    private final String description;
    private final long bytesPerExample;
    private final long bytesPerPair;
    private final Ntk owner;

    /**
     * @param function        the kernel
     * @param description     where and how, for the summary line, e.g. "cpu fp32 (…), structured"
     * @param bytesPerExample working memory one example needs while its block is computed (an estimate)
     * @param bytesPerPair    scratch per (x, x') pair besides the result itself
     * @param owner           the backend the function runs on, closed with this source; null for none
     */
    KernelSource(KernelFunction function, String description, long bytesPerExample, long bytesPerPair, Ntk owner) {
        this.function = function;
        this.description = description;
        this.bytesPerExample = bytesPerExample;
        this.bytesPerPair = bytesPerPair;
        this.owner = owner;
    }

    /**
     * The empirical kernel on a backend (closed with the source); {@code wholeJacobian} says the backend builds each
     * example's O×P Jacobian rows (the reference does, whatever implementation is asked for), which sizes the tiles.
     */
    static KernelSource empirical(Ntk backend, Parameters params, KernelKind kind, Implementation impl,
                                  boolean wholeJacobian) {
        Architecture a = params.architecture();
        long o = a.outputDim();
        long widths = 0;
        for (int l = 0; l <= a.layers(); l++) {
            widths += a.width(l);
        }
        String description;
        long perExample;
        if (kind == KernelKind.NNGP) {
            // one forward pass per block: each layer's activations
            description = backend.description() + ", NNGP";
            perExample = widths;
        } else if (wholeJacobian) {
            // The reference backend holds O rows of P per example.
            description = backend.description();
            perExample = o * a.parameterCount();
        } else {
            // AUTO is STRUCTURED for every dense MLP on every backend (Implementation.AUTO's contract): say which ran.
            Implementation used = impl == Implementation.AUTO ? Implementation.STRUCTURED : impl;
            description = backend.description() + ", " + used.name().toLowerCase(Locale.ROOT).replace('_', ' ');
            // The cpu and cuda backends hold each layer's activations and O back-propagated δ's per example, whichever
            // implementation: their Jacobian contraction builds the Jacobian in column chunks inside their own
            // working-memory budget, so counting O·P here (as before) cut a 512-example kernel of a 301,066-parameter
            // net into 378 tiles, each redoing the passes — 10× the in-memory time.
            perExample = widths * (o + 1);
        }
        // doubled for fp32 copies and scratch; per pair, one layer's activation and δ Grams in flight
        return new KernelSource(backend.kernelFunction(params, kind, impl), description, 2 * 8 * perExample, 16,
                backend);
    }

    /**
     * The infinite-width kernel Θ^L ⊗ I_O or Σ^L ⊗ I_O of the architecture (widths do not matter in the ntk
     * parameterization), computed in fp64; {@code float32Output} says the file rounds it to float32.
     */
    static KernelSource analytic(Architecture arch, KernelKind kind, boolean float32Output) {
        String description = "infinite-width " + kind.name() + " of " + arch.spec() + ", computed in fp64"
                + (float32Output ? ", rounded to float32" : "");
        // per pair: the per-output NNGP and NTK matrices and the layer recursion's scratch
        return new KernelSource(AnalyticKernel.of(arch).kernelFunction(kind), description, 64L * arch.layers(), 48,
                null);
    }

    /** Where and how, for the summary line. */
    String description() {
        return description;
    }

    int outputDim() {
        return function.outputDim();
    }

    /** K(x, x) in the mode's shape, exactly symmetric. */
    Tensor compute(Matrix x, NtkMode mode) {
        return function.kernel(x, mode);
    }

    /** K(x1, x2) in the mode's shape. */
    Tensor compute(Matrix x1, Matrix x2, NtkMode mode) {
        return function.kernel(x1, x2, mode);
    }

    /** Bytes of working memory one example needs while its block is computed (an estimate, for tile sizing). */
    long workingBytesPerExample() {
        return bytesPerExample;
    }

    /** Bytes of scratch per (x, x') pair besides the result itself, for tile sizing. */
    long workingBytesPerPair() {
        return bytesPerPair;
    }

    @Override
    public void close() {
        if (owner != null) {
            owner.close();
        }
    }
}

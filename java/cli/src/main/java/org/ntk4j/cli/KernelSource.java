package org.ntk4j.cli;

import org.ntk4j.Ntk;
import org.ntk4j.Implementation;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.analytic.AnalyticKernel;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * Something that computes Θ(x1, x2) for blocks of inputs: the empirical NTK on a backend, or the infinite-width
 * kernel. The tiled writer only needs this, plus an estimate of the working memory per example to size tiles.
 */
interface KernelSource extends AutoCloseable {

    /** Where and how, for the summary line, e.g. "cpu fp32 (…), structured". */
    String description();

    int outputDim();

    /** Θ(x, x) in the mode's shape, exactly symmetric. */
    Tensor compute(Matrix x, NtkMode mode);

    /** Θ(x1, x2) in the mode's shape (x2 must be given). */
    Tensor compute(Matrix x1, Matrix x2, NtkMode mode);

    /** Bytes of working memory one example needs while its block is computed (an estimate, for tile sizing). */
    long workingBytesPerExample();

    /** Bytes of scratch per (x, x') pair besides the result itself (Gram matrices of a layer), for tile sizing. */
    long workingBytesPerPair();

    @Override
    void close();

    /**
     * The empirical NTK on a backend; {@code wholeJacobian} says the backend builds each example's O×P Jacobian
     * rows (the reference does, whatever implementation is asked for), which sizes the tiles.
     */
    static KernelSource empirical(Ntk backend, Parameters params, Implementation impl, boolean wholeJacobian) {
        return new Empirical(backend, params, impl, wholeJacobian);
    }

    /** The infinite-width kernel, computed in fp64; {@code float32Output} says the file rounds it to float32. */
    static KernelSource analytic(Architecture arch, boolean float32Output) {
        return new Analytic(AnalyticKernel.of(arch), float32Output);
    }

    /** The empirical NTK of one network on one backend. */
    final class Empirical implements KernelSource {
        private final Ntk backend;
        private final Parameters params;
        private final Implementation impl;
        private final boolean wholeJacobian;

        Empirical(Ntk backend, Parameters params, Implementation impl, boolean wholeJacobian) {
            this.backend = backend;
            this.params = params;
            this.impl = impl;
            this.wholeJacobian = wholeJacobian;
        }

        @Override
        public String description() {
            // AUTO is STRUCTURED for every dense MLP on every backend (Implementation.AUTO's contract): say which ran.
            Implementation used = impl == Implementation.AUTO ? Implementation.STRUCTURED : impl;
            return wholeJacobian ? backend.description()
                    : backend.description() + ", " + used.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
        }

        @Override
        public int outputDim() {
            return params.architecture().outputDim();
        }

        @Override
        public Tensor compute(Matrix x, NtkMode mode) {
            return backend.kernel(params, x, mode, impl);
        }

        @Override
        public Tensor compute(Matrix x1, Matrix x2, NtkMode mode) {
            return backend.kernel(params, x1, x2, mode, impl);
        }

        @Override
        public long workingBytesPerExample() {
            Architecture a = params.architecture();
            long o = a.outputDim();
            // The reference backend holds O rows of P per example. The cpu and cuda backends hold each layer's
            // activations and O back-propagated δ's per example, whichever implementation: their Jacobian contraction
            // builds the Jacobian in column chunks inside their own working-memory budget, so counting O·P here
            // (as before) cut a 512-example kernel of a 301,066-parameter net into 378 tiles, each redoing the
            // passes — 10× the in-memory time. Doubled for fp32 copies and scratch.
            long perExample;
            if (wholeJacobian) {
                perExample = o * a.parameterCount();
            } else {
                long widths = 0;
                for (int l = 0; l <= a.layers(); l++) {
                    widths += a.width(l);
                }
                perExample = widths * (o + 1);
            }
            return 2 * 8 * perExample;
        }

        @Override
        public long workingBytesPerPair() {
            return 16; // one layer's activation and δ Grams in flight
        }

        @Override
        public void close() {
            backend.close();
        }
    }

    /** The infinite-width NTK Θ^L ⊗ I_O of the architecture (widths do not matter in the ntk parameterization). */
    final class Analytic implements KernelSource {
        private final AnalyticKernel kernel;
        private final boolean float32Output;

        Analytic(AnalyticKernel kernel, boolean float32Output) {
            this.kernel = kernel;
            this.float32Output = float32Output;
        }

        @Override
        public String description() {
            Architecture a = kernel.architecture();
            return "infinite-width " + a.activation().id() + " NTK, " + a.layers() + " layers, computed in fp64"
                    + (float32Output ? ", rounded to float32" : "");
        }

        @Override
        public int outputDim() {
            return kernel.architecture().outputDim();
        }

        @Override
        public Tensor compute(Matrix x, NtkMode mode) {
            return kernel.ntk(x, mode);
        }

        @Override
        public Tensor compute(Matrix x1, Matrix x2, NtkMode mode) {
            return kernel.ntk(x1, x2, mode);
        }

        @Override
        public long workingBytesPerExample() {
            return 64L * kernel.architecture().layers();
        }

        @Override
        public long workingBytesPerPair() {
            return 48; // the per-output NNGP and NTK matrices and the layer recursion's scratch
        }

        @Override
        public void close() {
            // nothing held
        }
    }
}

package org.ntk4j.experiments;

import org.ntk4j.Implementation;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.model.Parameters;
import org.ntk4j.spi.Backend;
import org.ntk4j.spi.BackendConfig;
import org.ntk4j.spi.BackendProvider;
import org.ntk4j.testing.Providers;

/**
 * {@code "dense-only"}: the reference backend for MLPs that refuses any other layer as the CUDA backend does
 * (an {@link org.ntk4j.model.UnsupportedLayerException} naming it), so the demo's handling of a backend without
 * the CNN's layers is tested where no GPU is. Never picked automatically.
 */
public final class DenseOnlyProvider implements BackendProvider {
    /** The name it is opened by. */
    static final String NAME = "dense-only";

    /** For the service loader. */
    public DenseOnlyProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public boolean autoSelectable() {
        return false;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public Backend open(BackendConfig config) {
        return new DenseOnly(Providers.open("reference", Precision.FP64));
    }

    private static final class DenseOnly extends Backend {
        private final Backend reference;

        DenseOnly(Backend reference) {
            this.reference = reference;
        }

        private static Parameters mlp(Parameters p) {
            p.architecture().chainActivations("the " + NAME + " backend");
            return p;
        }

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String description() {
            return NAME + " (the reference, MLPs only)";
        }

        @Override
        public Precision precision() {
            return Precision.FP64;
        }

        @Override
        protected Matrix computeForward(Parameters params, Matrix x) {
            return reference.forward(mlp(params), x);
        }

        @Override
        protected LossGradient computeMseLossGradient(Parameters params, Matrix x, Matrix y) {
            return reference.mseLossGradient(mlp(params), x, y);
        }

        @Override
        protected Matrix computeJacobian(Parameters params, Matrix x) {
            return reference.jacobian(mlp(params), x);
        }

        @Override
        protected Tensor computeKernel(Parameters params, Matrix x1, Matrix x2, boolean symmetric, NtkMode mode,
                                       Implementation implementation) {
            return symmetric ? reference.kernel(mlp(params), x1, mode, implementation)
                    : reference.kernel(mlp(params), x1, x2, mode, implementation);
        }

        @Override
        protected void release() {
            reference.close();
        }
    }
}

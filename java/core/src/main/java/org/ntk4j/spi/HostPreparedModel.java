package org.ntk4j.spi;

import org.ntk4j.BackendClosedException;
import org.ntk4j.Implementation;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.PreparedModel;
import org.ntk4j.Tensor;
import org.ntk4j.model.Parameters;

/**
 * The prepared model every backend has unless it offers a better one: an fp64 host copy of the parameters, each call
 * handed to the backend's validated methods, the gradient step applied on the host.
 */
final class HostPreparedModel extends PreparedModel {
    private final Backend backend;
    private final Parameters params;
    private final Parameters start;

    HostPreparedModel(Backend backend, Parameters params) {
        super(params.architecture());
        this.backend = backend;
        this.params = params;
        this.start = params.copy();
    }

    @Override
    protected Parameters currentParameters() {
        return params.copy();
    }

    @Override
    protected Matrix computeForward(Matrix x) {
        return backend.forward(params, x);
    }

    @Override
    protected Matrix computeJacobian(Matrix x) {
        return backend.jacobian(params, x);
    }

    @Override
    protected LossGradient computeMseLossGradient(Matrix x, Matrix y) {
        return backend.mseLossGradient(params, x, y);
    }

    @Override
    protected double computeStep(Matrix x, Matrix y, double learningRate) {
        LossGradient g = backend.mseLossGradient(params, x, y);
        params.addScaled(-learningRate, g.gradient());
        return g.loss();
    }

    @Override
    protected double[] computeLayerDistancesFromStart() {
        double[] d = new double[params.architecture().layers()];
        for (int l = 0; l < d.length; l++) {
            d[l] = params.layerDistance(l, start);
        }
        return d;
    }

    @Override
    protected Tensor computeKernel(Matrix x1, Matrix x2, boolean symmetric, NtkMode mode, Implementation impl) {
        return symmetric ? backend.kernel(params, x1, mode, impl) : backend.kernel(params, x1, x2, mode, impl);
    }

    @Override
    protected void release() {
        // nothing beyond the host copy
    }

    @Override
    protected void requireOpen() {
        super.requireOpen();
        if (backend.isClosed()) {
            throw new BackendClosedException("the " + backend.name() + " backend of this prepared model is closed");
        }
    }
}

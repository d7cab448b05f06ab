package org.ntk4j.cuda;

import java.util.List;
import org.ntk4j.BackendClosedException;
import org.ntk4j.Implementation;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.PreparedModel;
import org.ntk4j.Tensor;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.spi.Validation;

/**
 * A model that stays on the GPU: W, Wᵀ and b uploaded once in the backend's precision, the starting parameters beside
 * them (for {@link #layerDistancesFromStart}), the gradient and one grow-only workspace reused by every call. A
 * gradient-descent step uploads x and y, computes the gradient, applies it and re-forms Wᵀ on the device, and brings
 * back only the loss, with one wait for the device; nothing of size P crosses to the host. The same kernels and tiling
 * as the backend's own calls ({@link CudaBackend}).
 *
 * <p>Built from host parameters, or from an architecture and a seed: then W is generated row block by row block
 * ({@link Parameters#initialRow}) and uploaded as it is made, so layers too large for a host array (width 65,536:
 * 2^32 weights) can be prepared; {@link #parameters()} of such a model fails with a clear message, since its host copy
 * cannot exist.
 */
final class CudaPreparedModel extends PreparedModel {
    private final CudaBackend backend;
    private final DeviceNet net;
    private final DeviceNet start;
    private final Workspace ws;
    private final DeviceLayer.Grad grad;
    private final long residentBytes;

    private CudaPreparedModel(CudaBackend backend, Architecture arch) {
        super(arch);
        this.backend = backend;
        DeviceNet n = null;
        DeviceNet s = null;
        Workspace w = backend.operations().newWorkspace();
        try {
            n = backend.operations().newNet(arch, true);
            s = backend.operations().newNet(arch, false);
            this.grad = backend.operations().gradBuffers(w, n);
        } catch (RuntimeException e) {
            Release r = new Release(e);
            r.close(java.util.Arrays.asList(w, n, s));
            r.rethrow();
            throw e;
        }
        this.net = n;
        this.start = s;
        this.ws = w;
        this.residentBytes = n.bytes() + s.bytes() + ws.bytes();
    }

    /** These parameters, uploaded once (twice: the current and the starting copy). */
    static CudaPreparedModel of(CudaBackend backend, Parameters params) {
        CudaPreparedModel m = new CudaPreparedModel(backend, params.architecture());
        try {
            m.net.load(params);
            m.start.load(params);
            return m;
        } catch (RuntimeException e) {
            Release r = new Release(e);
            r.run(m::close);
            r.rethrow();
            throw e;
        }
    }

    /** {@code Parameters.init(arch, seed)}, generated and uploaded row block by row block. */
    static CudaPreparedModel initial(CudaBackend backend, Architecture arch, long seed) {
        CudaPreparedModel m = new CudaPreparedModel(backend, arch);
        try {
            DeviceNet.loadInitial(seed, m.net, m.start);
            return m;
        } catch (RuntimeException e) {
            Release r = new Release(e);
            r.run(m::close);
            r.rethrow();
            throw e;
        }
    }

    private long avail() {
        return backend.workingForResident(ws, residentBytes);
    }

    @Override
    protected Parameters currentParameters() {
        return backend.call(() -> {
            Parameters p = Parameters.zeros(architecture()); // refuses layers too large for a host array, naming them
            net.download(p);
            return p;
        });
    }

    @Override
    protected Matrix computeForward(Matrix x) {
        return backend.call(() -> backend.operations().forwardOn(net, ws, avail(), residentBytes, x));
    }

    @Override
    protected Matrix computeJacobian(Matrix x) {
        return backend.call(() -> backend.operations().jacobianOn(net, ws, avail(), residentBytes, x));
    }

    @Override
    protected LossGradient computeMseLossGradient(Matrix x, Matrix y) {
        return backend.call(() -> {
            double loss = backend.operations().gradientOn(net, ws, avail(), residentBytes, grad, x, y, 0);
            return new LossGradient(loss, backend.operations().downloadGradient(net, grad));
        });
    }

    @Override
    protected double computeStep(Matrix x, Matrix y, double learningRate) {
        return backend.call(() -> backend.operations().gradientOn(net, ws, avail(), residentBytes, grad, x, y, learningRate));
    }

    @Override
    protected double[] computeLayerDistancesFromStart() {
        return backend.call(() -> backend.operations().layerDistancesOn(net, start, ws));
    }

    @Override
    protected Tensor computeKernel(Matrix x1, Matrix x2, boolean symmetric, NtkMode mode, Implementation impl) {
        Validation.requireNtkArguments(architecture(), x1, x2, mode, impl);
        return backend.call(() -> backend.tiler().ntk(net, ws, avail(), residentBytes, x1, x2, symmetric, mode, impl));
    }

    /** The device this model lives on (for tests and measurements). */
    CudaDevice device() {
        return backend.device();
    }

    @Override
    protected void release() {
        Release r = new Release();
        r.close(List.of(ws, net, start));
        r.rethrow();
    }

    @Override
    protected void requireOpen() {
        super.requireOpen();
        if (backend.isClosed()) {
            throw new BackendClosedException("the cuda backend of this prepared model is closed");
        }
    }
}

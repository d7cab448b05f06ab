package org.ntk4j.cpu;

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
 * The CPU backend's prepared model: the network's working-precision weights (its layers' {@link LayerWeights}) live
 * here between calls, next to an fp64 master copy θ and the copy θ_0 taken at {@code prepare}.
 *
 * <p>{@link #step}: the gradient goes into a buffer kept by the model (no P-long allocation per step), then one
 * parallel pass over each layer updates θ in fp64 (θ ← θ − η·g, g rounded to the working precision as the stateless
 * call returns it), writes its rounding into the working copy and forms ‖θ_l − θ_{l,0}‖² — so nothing is converted
 * or allocated per step, and the trajectory is bit for bit the one of the stateless loop (which rounded the fp64 θ
 * into a fresh working copy at every call). Keeping θ in fp32 alone instead would lose most of each small update's
 * bits: at width 2048 a step moves a weight by ~10⁻⁵ of its size, where fp32 keeps 2–3 digits of it.
 *
 * <p>{@link #layerDistancesFromStart} returns the distances formed by the last step (fixed blocks of
 * {@value #BLOCK} values summed in order, so the result does not depend on the thread count).
 */
final class CpuPreparedModel<A> extends PreparedModel {
    private static final int BLOCK = 16_384;

    private final CpuBackend backend;
    private final Network<A> net;
    private final Parameters theta;
    private final Parameters start;
    private final double[] grad;
    private double[] distances;

    CpuPreparedModel(CpuBackend backend, Arith<A> ar, Parameters params) {
        super(params.architecture());
        this.backend = backend;
        this.theta = params;
        this.start = params.copy();
        this.net = new Network<>(ar, params);
        long p = params.architecture().parameterCount();
        if (p > Integer.MAX_VALUE - 8) {
            throw new org.ntk4j.InvalidInputException("P = " + p + " parameters do not fit one flat gradient array");
        }
        this.grad = new double[(int) p];
        this.distances = new double[params.architecture().layers()];
    }

    @Override
    protected Parameters currentParameters() {
        return theta.copy();
    }

    @Override
    protected Matrix computeForward(Matrix x) {
        return backend.preparedForward(net, x);
    }

    @Override
    protected Matrix computeJacobian(Matrix x) {
        return backend.jacobian(currentParameters(), x);
    }

    @Override
    protected LossGradient computeMseLossGradient(Matrix x, Matrix y) {
        double[] g = new double[grad.length];
        double loss = backend.preparedGradient(net, x, y, g);
        return new LossGradient(loss, g);
    }

    @Override
    protected double computeStep(Matrix x, Matrix y, double learningRate) {
        double loss = backend.preparedGradient(net, x, y, grad);
        Architecture arch = theta.architecture();
        double[] d = new double[arch.layers()];
        for (int l = 0; l < arch.layers(); l++) {
            d[l] = Math.sqrt(updateWeights(l, learningRate) + updateBias(l, learningRate));
        }
        distances = d;
        return loss;
    }

    /** W^l ← W^l − η·g in fp64 and in the working copy; returns ‖W^l − W^l_0‖². */
    private double updateWeights(int l, double lr) {
        double[] w = theta.weights(l);
        double[] w0 = start.weights(l);
        int off = (int) theta.architecture().weightOffset(l);
        int blocks = (w.length + BLOCK - 1) / BLOCK;
        LayerWeights<A> working = net.parameterized.get(l).weights();
        double[] partial = new double[blocks];
        backend.parallelFor(blocks, BLOCK, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                int from = b * BLOCK;
                int to = Math.min(w.length, from + BLOCK);
                double s = 0;
                for (int k = from; k < to; k++) {
                    double v = w[k] - lr * grad[off + k];
                    w[k] = v;
                    double e = v - w0[k];
                    s += e * e;
                }
                working.setWeights(w, from, to);
                partial[b] = s;
            }
        });
        double s = 0;
        for (double v : partial) {
            s += v;
        }
        return s;
    }

    /** b^l ← b^l − η·g (fp64 and the working s_l·b^l); returns ‖b^l − b^l_0‖² (0 without bias). */
    private double updateBias(int l, double lr) {
        if (!theta.architecture().hasBias(l)) {
            return 0;
        }
        double[] b = theta.bias(l);
        double[] b0 = start.bias(l);
        int off = (int) theta.architecture().biasOffset(l);
        double s = 0;
        for (int k = 0; k < b.length; k++) {
            double v = b[k] - lr * grad[off + k];
            b[k] = v;
            double e = v - b0[k];
            s += e * e;
        }
        net.parameterized.get(l).weights().setBias(b);
        return s;
    }

    @Override
    protected double[] computeLayerDistancesFromStart() {
        return distances.clone();
    }

    @Override
    protected Tensor computeKernel(Matrix x1, Matrix x2, boolean symmetric, NtkMode mode, Implementation impl) {
        Validation.requireNtkArguments(theta.architecture(), x1, x2, mode, impl);
        return backend.preparedNtk(net, x1, x2, symmetric, mode, impl);
    }

    @Override
    protected void release() {
        // heap arrays only: the garbage collector takes them
    }

    @Override
    protected void requireOpen() {
        super.requireOpen();
        if (backend.isClosed()) {
            throw new BackendClosedException("the " + backend.name() + " backend of this prepared model is closed");
        }
    }
}

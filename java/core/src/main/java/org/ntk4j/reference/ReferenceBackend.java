package org.ntk4j.reference;

import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.spi.Backend;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * The test oracle: plain fp64 loops, one example and one output at a time, written to be read rather than to be
 * fast. It runs any sequence of layers, one {@link ReferenceLayer} class per kind. Jacobians come from explicit
 * backpropagation through the sequence; every NTK is J1·J2ᵀ whatever implementation is asked for
 * (the implementation choice is accepted and ignored). Sized for tests: N·O·P must fit one array.
 */
public final class ReferenceBackend extends Backend {

    /** The reference backend (fp64, nothing to release). */
    public ReferenceBackend() {
    }

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public String description() {
        return "reference fp64";
    }

    @Override
    public Precision precision() {
        return Precision.FP64;
    }

    @Override
    protected Matrix computeForward(Parameters params, Matrix x) {
        Architecture arch = params.architecture();
        Matrix out = Matrix.zeros(x.rows(), arch.outputDim());
        for (int n = 0; n < x.rows(); n++) {
            System.arraycopy(output(params, x.row(n)), 0, out.data(), n * arch.outputDim(), arch.outputDim());
        }
        return out;
    }

    @Override
    protected LossGradient computeMseLossGradient(Parameters params, Matrix x, Matrix y) {
        Architecture arch = params.architecture();
        int o = arch.outputDim();
        int count = x.rows() * o;
        double[] grad = new double[flatSize(arch, 1)];
        double loss = 0;
        for (int n = 0; n < x.rows(); n++) {
            double[] xn = x.row(n);
            double[] f = output(params, xn);
            double[][] rows = jacobianRows(params, xn);
            for (int a = 0; a < o; a++) {
                double r = f[a] - y.get(n, a);
                loss += 0.5 * r * r / count;
                for (int p = 0; p < grad.length; p++) {
                    grad[p] += r * rows[a][p] / count;
                }
            }
        }
        return new LossGradient(loss, grad);
    }

    @Override
    protected Matrix computeJacobian(Parameters params, Matrix x) {
        Architecture arch = params.architecture();
        int o = arch.outputDim();
        int size = flatSize(arch, x.rows() * o);
        int p = size / (x.rows() * o);
        double[] j = new double[size];
        for (int n = 0; n < x.rows(); n++) {
            double[][] rows = jacobianRows(params, x.row(n));
            for (int a = 0; a < o; a++) {
                System.arraycopy(rows[a], 0, j, (n * o + a) * p, p);
            }
        }
        return new Matrix(x.rows() * o, p, j);
    }

    @Override
    protected Tensor computeKernel(Parameters params, Matrix x1, Matrix x2r, boolean symmetric, NtkMode mode,
                                   Implementation implementation) {
        int o = params.architecture().outputDim();
        Matrix j1 = computeJacobian(params, x1);
        Matrix j2 = symmetric ? j1 : computeJacobian(params, x2r);
        int n1 = x1.rows();
        int n2 = x2r.rows();
        Tensor full = Tensor.zeros(n1, n2, o, o);
        double[] k = full.data();
        int p = j1.cols();
        for (int i = 0; i < n1 * o; i++) {
            for (int j = 0; j < n2 * o; j++) {
                double s = 0;
                for (int q = 0; q < p; q++) {
                    s += j1.data()[i * p + q] * j2.data()[j * p + q];
                }
                // row i = (n1, a), column j = (n2, b)  →  full[n1, n2, a, b]
                k[(((i / o) * n2 + j / o) * o + i % o) * o + j % o] = s;
            }
        }
        return mode.fromFull(full);
    }

    @Override
    protected void release() {
        // nothing held
    }

    /** The reference form of every layer of the sequence, first applied first. */
    private static ReferenceLayer[] layers(Parameters params) {
        ReferenceLayer[] layers = new ReferenceLayer[params.architecture().sequence().size()];
        int offset = 0; // the flat vector is every weighted layer's W then b, in order
        for (int i = 0; i < layers.length; i++) {
            layers[i] = ReferenceLayer.of(params, i, offset);
            offset += layers[i].parameterCount();
        }
        return layers;
    }

    /** What every layer reads for one example, and at the end the output: acts[i] is layer i's input. */
    private static double[][] activations(ReferenceLayer[] layers, double[] x) {
        double[][] acts = new double[layers.length + 1][];
        acts[0] = x;
        for (int i = 0; i < layers.length; i++) {
            acts[i + 1] = layers[i].forward(acts[i]);
        }
        return acts;
    }

    /** f(x) for one example. */
    private static double[] output(Parameters params, double[] x) {
        ReferenceLayer[] layers = layers(params);
        return activations(layers, x)[layers.length];
    }

    /**
     * ∂f_a(x)/∂θ for every output a, by backpropagation through the sequence from δ = e_a at the output: each layer
     * writes its block of the row from its input and the δ at its output, then hands δ to the layer below.
     */
    static double[][] jacobianRows(Parameters params, double[] x) {
        Architecture arch = params.architecture();
        int o = arch.outputDim();
        ReferenceLayer[] layers = layers(params);
        double[][] acts = activations(layers, x);
        double[][] rows = new double[o][flatSize(arch, 1)];
        for (int a = 0; a < o; a++) {
            ReferenceLayer.Delta delta = ReferenceLayer.Delta.unit(o, a);
            for (int i = layers.length - 1; i >= 0; i--) {
                layers[i].jacobianBlock(acts[i], delta, rows[a]);
                if (i > 0) {
                    delta = layers[i].backward(acts[i], delta);
                }
            }
        }
        return rows;
    }

    /**
     * The full NTK as the sum of every layer's structured term (per pair of examples and outputs, from the layers'
     * inputs and δs only): the oracle for structured implementations, equal to J1·J2ᵀ up to rounding.
     *
     * @param params the network
     * @param x1     first inputs, one example per row
     * @param x2     second inputs
     * @return the (N1, N2, O, O) kernel
     */
    static Tensor structuredNtk(Parameters params, Matrix x1, Matrix x2) {
        Architecture arch = params.architecture();
        int o = arch.outputDim();
        ReferenceLayer[] layers = layers(params);
        double[][][][] d1 = deltas(layers, x1, o);
        double[][][][] d2 = deltas(layers, x2, o);
        Tensor full = Tensor.zeros(x1.rows(), x2.rows(), o, o);
        for (int n1 = 0; n1 < x1.rows(); n1++) {
            double[][] acts1 = activations(layers, x1.row(n1));
            for (int n2 = 0; n2 < x2.rows(); n2++) {
                double[][] acts2 = activations(layers, x2.row(n2));
                for (int a = 0; a < o; a++) {
                    for (int b = 0; b < o; b++) {
                        double k = 0;
                        for (int i = 0; i < layers.length; i++) {
                            k += layers[i].structuredTerm(acts1[i], d1[n1][a][i], acts2[i], d2[n2][b][i]);
                        }
                        full.data()[((n1 * x2.rows() + n2) * o + a) * o + b] = k;
                    }
                }
            }
        }
        return full;
    }

    /** δ at every layer's output: [example][output a][layer i]. */
    private static double[][][][] deltas(ReferenceLayer[] layers, Matrix x, int o) {
        double[][][][] d = new double[x.rows()][o][layers.length][];
        for (int n = 0; n < x.rows(); n++) {
            double[][] acts = activations(layers, x.row(n));
            for (int a = 0; a < o; a++) {
                ReferenceLayer.Delta delta = ReferenceLayer.Delta.unit(o, a);
                for (int i = layers.length - 1; i >= 0; i--) {
                    d[n][a][i] = delta.applied();
                    delta = layers[i].backward(acts[i], delta);
                }
            }
        }
        return d;
    }

    /** rows·P, checked against the size of one Java array. */
    private static int flatSize(Architecture arch, int rows) {
        long size = (long) rows * arch.parameterCount();
        if (size > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("the reference backend holds whole Jacobians: " + rows + " rows × P = "
                    + arch.parameterCount() + " is too large; use the cpu backend");
        }
        return (int) size;
    }
}

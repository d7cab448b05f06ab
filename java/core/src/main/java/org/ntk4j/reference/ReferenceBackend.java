package org.ntk4j.reference;

import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.spi.Backend;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * The test oracle: plain fp64 loops, one example and one output at a time, written to be read rather than to be
 * fast. Jacobians come from explicit backpropagation; every NTK is J1·J2ᵀ whatever implementation is asked for
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
            double[][] z = preActivations(params, x.row(n));
            System.arraycopy(z[arch.layers()], 0, out.data(), n * arch.outputDim(), arch.outputDim());
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
            double[] f = preActivations(params, xn)[arch.layers()];
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
    protected Tensor computeNtk(Parameters params, Matrix x1, Matrix x2r, boolean symmetric, NtkMode mode,
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

    /**
     * z^1 … z^L for one example; entry 0 is the input x (so z[l] is what layer l reads, after φ for l ≥ 1).
     */
    static double[][] preActivations(Parameters params, double[] x) {
        Architecture arch = params.architecture();
        int layers = arch.layers();
        double[][] z = new double[layers + 1][];
        z[0] = x;
        double[] h = x;
        for (int l = 0; l < layers; l++) {
            z[l + 1] = dense(params, l, h);
            h = l + 1 < layers ? apply(arch.activation(), z[l + 1]) : z[l + 1];
        }
        return z;
    }

    /** c_l·W^l h + s_l·b^l. */
    private static double[] dense(Parameters params, int l, double[] h) {
        Architecture arch = params.architecture();
        int in = arch.width(l);
        int out = arch.width(l + 1);
        double c = arch.weightScale(l);
        double s = arch.biasScale(l);
        double[] w = params.weights(l);
        double[] b = params.bias(l);
        double[] z = new double[out];
        for (int i = 0; i < out; i++) {
            double acc = 0;
            for (int j = 0; j < in; j++) {
                acc += w[i * in + j] * h[j];
            }
            z[i] = c * acc + (b == null ? 0 : s * b[i]);
        }
        return z;
    }

    private static double[] apply(Activation act, double[] z) {
        double[] h = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            h[i] = act.apply(z[i]);
        }
        return h;
    }

    /**
     * ∂f_a(x)/∂θ for every output a, by backpropagation: δ^L = e_a, ∂f_a/∂W^l_ij = c_l·δ^{l+1}_i·h^l_j,
     * ∂f_a/∂b^l_i = s_l·δ^{l+1}_i, δ^l = φ'(z^l) ⊙ (c_l·W^lᵀ δ^{l+1}).
     */
    static double[][] jacobianRows(Parameters params, double[] x) {
        Architecture arch = params.architecture();
        int layers = arch.layers();
        int o = arch.outputDim();
        double[][] z = preActivations(params, x);
        double[][] rows = new double[o][flatSize(arch, 1)];
        for (int a = 0; a < o; a++) {
            double[] delta = new double[o];
            delta[a] = 1.0;
            for (int l = layers - 1; l >= 0; l--) {
                double[] h = l == 0 ? z[0] : apply(arch.activation(), z[l]);
                int in = arch.width(l);
                int out = arch.width(l + 1);
                double c = arch.weightScale(l);
                int wOff = (int) arch.weightOffset(l);
                for (int i = 0; i < out; i++) {
                    for (int j = 0; j < in; j++) {
                        rows[a][wOff + i * in + j] = c * delta[i] * h[j];
                    }
                }
                if (arch.bias()) {
                    int bOff = (int) arch.biasOffset(l);
                    for (int i = 0; i < out; i++) {
                        rows[a][bOff + i] = arch.biasScale(l) * delta[i];
                    }
                }
                if (l > 0) {
                    double[] w = params.weights(l);
                    double[] next = new double[in];
                    for (int j = 0; j < in; j++) {
                        double acc = 0;
                        for (int i = 0; i < out; i++) {
                            acc += w[i * in + j] * delta[i];
                        }
                        next[j] = arch.activation().derivative(z[l][j]) * c * acc;
                    }
                    delta = next;
                }
            }
        }
        return rows;
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

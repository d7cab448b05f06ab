package org.ntk4j.dynamics;

import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.linalg.LinearAlgebra;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.spi.Validation;

/**
 * Exact second-order directional derivatives of a dense MLP's outputs at fixed parameters θ and inputs X, in fp64
 * on the host with BLAS GEMMs (forward-over-reverse, Pearlmutter's R-operator):
 * <ul>
 *   <li>{@link #hessianVectorProduct}: (Σ_{n,a} w_{na} ∇²f_a(x_n))·v, the Hessian of the scalar ⟨w, f⟩ times v;</li>
 *   <li>{@link #secondDirectional}: ∇²f[v, v] = d²/dε² f(θ + εv) at ε = 0, one (N, O) matrix;</li>
 *   <li>{@link #jacobianVectorProduct}: ∇f·v.</li>
 * </ul>
 * Exact rather than finite differences of backend gradients: a relu network is piecewise polynomial in θ, and a
 * difference step that moves any of the N·width pre-activations across 0 adds a jump divided by the step — at
 * width 2048 and N = 256 that happens for some unit at any step size that rounding allows. Here φ'' comes from
 * {@link Activation#secondDerivative} (0 for relu: the Hessian almost everywhere). Cost per product about 12·N·P
 * flops (six GEMM-shaped passes) after one cached forward pass; memory a few N×width arrays plus one P-vector.
 * Not thread-safe (it caches the last backward pass).
 */
public final class NetworkCurvature {
    private final Architecture arch;
    private final Parameters params;
    private final int n;
    private final int layers;
    private final Matrix[] w;    // W^l as (n_{l+1}, n_l), sharing the parameter arrays
    private final Matrix[] h;    // h^l (N, n_l): h^0 = X, h^l = φ(z^l)
    private final Matrix[] z;    // z^l (N, n_l) for l ≥ 1
    private Matrix cachedWeights;   // the output weights w of the cached backward pass
    private Matrix[] cachedDelta;   // [l] = δ^{l+1} = ∂⟨w,f⟩/∂z^{l+1}
    private Matrix[] cachedPre;     // [l] = c_l·δ^{l+1}·W^l (before φ'), l ≥ 1

    /**
     * Runs and caches the forward pass of these parameters on these inputs.
     *
     * @param params the network; its arrays are shared, not copied (do not change them while this object is in use)
     * @param x      the inputs, (N, d); kept by reference
     * @throws InvalidInputException when an argument is invalid
     * @throws org.ntk4j.model.UnsupportedLayerException naming the first layer of a sequence that is not an MLP with
     *                                                   one activation and one σ_w, σ_b
     */
    public NetworkCurvature(Parameters params, Matrix x) {
        Validation.requireParameters(params);
        this.arch = params.architecture().requireUniformMlp("the network's curvature");
        Validation.requireInputs(arch, x, "x");
        this.params = params;
        this.n = x.rows();
        this.layers = arch.layers();
        this.w = new Matrix[layers];
        this.h = new Matrix[layers];
        this.z = new Matrix[layers + 1];
        for (int l = 0; l < layers; l++) {
            w[l] = new Matrix(arch.width(l + 1), arch.width(l), params.weights(l));
        }
        h[0] = x;
        for (int l = 0; l < layers; l++) {
            Matrix zl = Matrix.zeros(n, arch.width(l + 1));
            LinearAlgebra.gemm(arch.weightScale(l), h[l], false, w[l], true, 0.0, zl);
            addBias(zl, params.bias(l), arch.biasScale(l));
            z[l + 1] = zl;
            if (l + 1 < layers) {
                h[l + 1] = map(zl, arch.activation());
            }
        }
    }

    /**
     * f(θ) on the inputs, (N, O).
     *
     * @return a new (N, O) matrix
     */
    public Matrix outputs() {
        return z[layers].copy();
    }

    /**
     * ∇f·v as (N, O).
     *
     * @param v a direction in parameter space, P values; read
     * @return a new (N, O) matrix
     */
    public Matrix jacobianVectorProduct(double[] v) {
        Matrix[] zd = tangentForward(v);
        return zd[layers];
    }

    /**
     * ∇²f[v, v] as (N, O).
     *
     * @param v a direction in parameter space, P values; read
     * @return a new (N, O) matrix
     */
    public Matrix secondDirectional(double[] v) {
        requireDirection(v);
        Matrix hd = null;
        Matrix hdd = null;
        Matrix zdd = null;
        for (int l = 0; l < layers; l++) {
            Matrix vw = directionWeights(v, l);
            double c = arch.weightScale(l);
            Matrix zd = Matrix.zeros(n, arch.width(l + 1));
            zdd = Matrix.zeros(n, arch.width(l + 1));
            if (hd != null) {
                LinearAlgebra.gemm(c, hd, false, w[l], true, 0.0, zd);
                LinearAlgebra.gemm(2 * c, hd, false, vw, true, 0.0, zdd);
                LinearAlgebra.gemm(c, hdd, false, w[l], true, 1.0, zdd);
            }
            LinearAlgebra.gemm(c, h[l], false, vw, true, 1.0, zd);
            addBias(zd, directionBias(v, l), arch.biasScale(l));
            if (l + 1 < layers) {
                Activation act = arch.activation();
                Matrix zl = z[l + 1];
                double[] zv = zl.data();
                double[] a = zd.data();
                double[] b = zdd.data();
                double[] nh = new double[a.length];
                double[] nhh = new double[a.length];
                for (int k = 0; k < a.length; k++) {
                    double d1 = act.derivative(zv[k]);
                    nh[k] = d1 * a[k];
                    nhh[k] = act.secondDerivative(zv[k]) * a[k] * a[k] + d1 * b[k];
                }
                hd = new Matrix(n, zl.cols(), nh);
                hdd = new Matrix(n, zl.cols(), nhh);
            }
        }
        return zdd;
    }

    /**
     * (Σ_{n,a} w_{na}·∇²f_a(x_n))·v as a flat P-vector in the parameter order, for weights w of shape (N, O). The
     * backward pass of w is kept for the next call with the same w instance (do not modify its values in between).
     *
     * @param weights w, (N, O); kept for the next call
     * @param v       a direction in parameter space, P values; read
     * @return a new array of P values
     * @throws InvalidInputException when a shape does not match
     */
    public double[] hessianVectorProduct(Matrix weights, double[] v) {
        if (weights == null || weights.rows() != n || weights.cols() != arch.outputDim()) {
            throw new InvalidInputException("output weights must have shape (" + n + ", " + arch.outputDim() + ")");
        }
        Matrix[] zd = tangentForward(v);
        Activation act = arch.activation();
        double[] out = new double[checkedP()];
        backward(weights);
        Matrix deltaDot = null;      // d δ^{l+1} along v (0 at the output)
        for (int l = layers - 1; l >= 0; l--) {
            double c = arch.weightScale(l);
            Matrix delta = cachedDelta[l];
            // d(grad W^l) = c·(δ̇ᵀ h^l + δᵀ ḣ^l)
            Matrix gw = new Matrix(arch.width(l + 1), arch.width(l), new double[(int) arch.weightCount(l)]);
            if (deltaDot != null) {
                LinearAlgebra.gemm(c, deltaDot, true, h[l], false, 0.0, gw);
            }
            if (l > 0) {
                Matrix hd = hiddenTangent(zd[l], l);
                LinearAlgebra.gemm(c, delta, true, hd, false, 1.0, gw);
            }
            System.arraycopy(gw.data(), 0, out, (int) arch.weightOffset(l), gw.data().length);
            if (arch.bias() && deltaDot != null) {
                double s = arch.biasScale(l);
                int off = (int) arch.biasOffset(l);
                double[] dd = deltaDot.data();
                int cols = deltaDot.cols();
                for (int r = 0; r < n; r++) {
                    for (int i = 0; i < cols; i++) {
                        out[off + i] += s * dd[r * cols + i];
                    }
                }
            }
            if (l == 0) {
                break;
            }
            // a = c·δ W^l (cached), ȧ = c·(δ̇ W^l + δ V^l); δ̇^l = φ''(z^l)⊙ż^l⊙a + φ'(z^l)⊙ȧ
            Matrix a = cachedPre[l];
            Matrix ad = Matrix.zeros(n, arch.width(l));
            LinearAlgebra.gemm(c, delta, false, directionWeights(v, l), false, 0.0, ad);
            if (deltaDot != null) {
                LinearAlgebra.gemm(c, deltaDot, false, w[l], false, 1.0, ad);
            }
            double[] zv = z[l].data();
            double[] zdv = zd[l].data();
            double[] av = a.data();
            double[] adv = ad.data();
            double[] ndd = new double[av.length];
            for (int k = 0; k < av.length; k++) {
                ndd[k] = act.secondDerivative(zv[k]) * zdv[k] * av[k] + act.derivative(zv[k]) * adv[k];
            }
            deltaDot = new Matrix(n, arch.width(l), ndd);
        }
        return out;
    }

    /**
     * δ^{l+1} for every layer and the pre-φ' products c_l·δ^{l+1}·W^l for the output weights w — independent of
     * the direction, so computed once per w (a Lanczos run reuses them for every product).
     */
    private void backward(Matrix weights) {
        if (weights == cachedWeights) {
            return;
        }
        Activation act = arch.activation();
        Matrix[] delta = new Matrix[layers];
        Matrix[] pre = new Matrix[layers];
        delta[layers - 1] = weights;
        for (int l = layers - 1; l >= 1; l--) {
            Matrix a = Matrix.zeros(n, arch.width(l));
            LinearAlgebra.gemm(arch.weightScale(l), delta[l], false, w[l], false, 0.0, a);
            pre[l] = a;
            double[] zv = z[l].data();
            double[] av = a.data();
            double[] nd = new double[av.length];
            for (int k = 0; k < av.length; k++) {
                nd[k] = act.derivative(zv[k]) * av[k];
            }
            delta[l - 1] = new Matrix(n, arch.width(l), nd);
        }
        cachedDelta = delta;
        cachedPre = pre;
        cachedWeights = weights;
    }

    /** ż^l for l = 1 … L along v (entry 0 unused). */
    private Matrix[] tangentForward(double[] v) {
        requireDirection(v);
        Matrix[] zd = new Matrix[layers + 1];
        Matrix hd = null;
        for (int l = 0; l < layers; l++) {
            double c = arch.weightScale(l);
            Matrix out = Matrix.zeros(n, arch.width(l + 1));
            if (hd != null) {
                LinearAlgebra.gemm(c, hd, false, w[l], true, 0.0, out);
            }
            LinearAlgebra.gemm(c, h[l], false, directionWeights(v, l), true, 1.0, out);
            addBias(out, directionBias(v, l), arch.biasScale(l));
            zd[l + 1] = out;
            if (l + 1 < layers) {
                hd = hiddenTangent(out, l + 1);
            }
        }
        return zd;
    }

    /** ḣ^l = φ'(z^l)⊙ż^l. */
    private Matrix hiddenTangent(Matrix zdl, int l) {
        double[] zv = z[l].data();
        double[] a = zdl.data();
        double[] out = new double[a.length];
        Activation act = arch.activation();
        for (int k = 0; k < a.length; k++) {
            out[k] = act.derivative(zv[k]) * a[k];
        }
        return new Matrix(n, zdl.cols(), out);
    }

    private Matrix directionWeights(double[] v, int l) {
        int off = (int) arch.weightOffset(l);
        int len = (int) arch.weightCount(l);
        double[] part = new double[len];
        System.arraycopy(v, off, part, 0, len);
        return new Matrix(arch.width(l + 1), arch.width(l), part);
    }

    private double[] directionBias(double[] v, int l) {
        if (!arch.bias()) {
            return null;
        }
        int off = (int) arch.biasOffset(l);
        double[] b = new double[arch.width(l + 1)];
        System.arraycopy(v, off, b, 0, b.length);
        return b;
    }

    private static void addBias(Matrix m, double[] b, double scale) {
        if (b == null || scale == 0) {
            return;
        }
        double[] d = m.data();
        int cols = m.cols();
        for (int r = 0; r < m.rows(); r++) {
            for (int i = 0; i < cols; i++) {
                d[r * cols + i] += scale * b[i];
            }
        }
    }

    private static Matrix map(Matrix m, Activation act) {
        double[] d = m.data();
        double[] out = new double[d.length];
        for (int k = 0; k < d.length; k++) {
            out[k] = act.apply(d[k]);
        }
        return new Matrix(m.rows(), m.cols(), out);
    }

    private void requireDirection(double[] v) {
        if (v == null || v.length != params.size()) {
            throw new InvalidInputException("direction has " + (v == null ? "no" : v.length) + " entries, the model has "
                    + params.size() + " parameters");
        }
    }

    private int checkedP() {
        long p = arch.parameterCount();
        if (p > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("P = " + p + " does not fit one host array");
        }
        return (int) p;
    }
}

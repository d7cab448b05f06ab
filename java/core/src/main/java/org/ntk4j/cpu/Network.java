package org.ntk4j.cpu;

import org.ntk4j.Matrix;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * A chain of dense layers — {@code Dense (φ? Dense)*}, each dense layer with its own σ_w, σ_b and bias, at most one
 * activation between two dense layers (none reads as the identity) and none after the last — with its parameters in the working precision (converted once per call from the fp64 {@link Parameters}, so
 * every backend starts from identical values — or kept between calls by a {@link CpuPreparedModel}, which updates
 * them in place), with the batched forward pass and the batched backpropagation of every output's δ.
 */
final class Network<A> {
    final Arith<A> ar;
    final Architecture arch;
    /** φ_l applied to z^l before dense layer l reads it, l = 1 … L-1 (entry 0 unused): identity where none. */
    final Activation[] act;
    /** L, the number of dense layers. */
    final int layers;
    /** O. */
    final int outputs;
    /** n_0 … n_L. */
    final int[] n;
    /** max over n_1 … n_L (the widths δ takes). */
    final int maxDeltaWidth;
    /** c_l and s_l (s_l = 0 without bias). */
    final double[] c;
    final double[] s;
    /** Whether dense layer l has a bias. */
    final boolean[] bias;
    /** W^l, row-major (n_{l+1}, n_l). */
    private final A[] w;
    /** s_l·b^l rounded, or null without bias. */
    private final A[] sb;

    @SuppressWarnings("unchecked")
    Network(Arith<A> ar, Parameters p) {
        this.ar = ar;
        this.arch = p.architecture();
        this.layers = arch.layers();
        this.act = arch.chainActivations("the cpu backend");
        this.outputs = arch.outputDim();
        this.n = arch.widths();
        this.bias = new boolean[layers];
        int mw = 0;
        for (int l = 1; l <= layers; l++) {
            mw = Math.max(mw, n[l]);
        }
        this.maxDeltaWidth = mw;
        this.c = new double[layers];
        this.s = new double[layers];
        this.w = (A[]) new Object[layers];
        this.sb = (A[]) new Object[layers];
        double[] tmp = null;
        for (int l = 0; l < layers; l++) {
            c[l] = arch.weightScale(l);
            s[l] = arch.biasScale(l);
            bias[l] = arch.hasBias(l);
            w[l] = ar.matrix(n[l + 1], n[l]);
            ar.fromDouble(p.weights(l), 0, w[l], 0, p.weights(l).length);
            if (bias[l]) {
                if (tmp == null || tmp.length < n[l + 1]) {
                    tmp = new double[n[l + 1]];
                }
                double[] b = p.bias(l);
                for (int i = 0; i < n[l + 1]; i++) {
                    tmp[i] = s[l] * b[i];
                }
                sb[l] = ar.alloc(n[l + 1]);
                ar.fromDouble(tmp, 0, sb[l], 0, n[l + 1]);
            }
        }
    }

    A weights(int l) {
        return w[l];
    }

    /** W^l[from, to) (flat, row-major) ← src[from, to) rounded: the working copy follows an fp64 update in place. */
    void setWeights(int l, double[] src, int from, int to) {
        ar.fromDouble(src, from, w[l], from, to - from);
    }

    /** s_l·b^l ← s_l·b rounded (as the constructor forms it). */
    void setBias(int l, double[] b) {
        if (!bias[l]) {
            return;
        }
        double[] tmp = new double[n[l + 1]];
        for (int i = 0; i < tmp.length; i++) {
            tmp[i] = s[l] * b[i];
        }
        ar.fromDouble(tmp, 0, sb[l], 0, tmp.length);
    }

    /** Elements of the forward state per example: h^0 … h^{L-1}, φ'(z^1) … φ'(z^{L-1}) and f. */
    long activationsPerExample() {
        long e = outputs;
        for (int l = 0; l < layers; l++) {
            e += n[l] + (l > 0 ? n[l] : 0);
        }
        return e;
    }

    /** The forward state of up to {@code capacity} examples. */
    final class Acts {
        final int capacity;
        int rows;
        int from;
        /** h^l (rows × n_l) for l = 0 … L-1; h^0 is the input. */
        final A[] h;
        /** φ'(z^l) (rows × n_l) for l = 1 … L-1 (entry 0 unused). */
        final A[] d;
        /** f = z^L (rows × O). */
        final A out;

        @SuppressWarnings("unchecked")
        Acts(int capacity) {
            this.capacity = capacity;
            h = (A[]) new Object[layers];
            d = (A[]) new Object[layers];
            for (int l = 0; l < layers; l++) {
                h[l] = ar.matrix(capacity, n[l]);
                if (l > 0) {
                    d[l] = ar.alloc(capacity * n[l]);
                }
            }
            out = ar.matrix(capacity, outputs);
        }
    }

    Acts newActs(int capacity) {
        return new Acts(capacity);
    }

    /** The forward pass of rows [from, to) of x into {@code a}. */
    void forward(Matrix x, int from, int to, Acts a) {
        int rows = to - from;
        a.rows = rows;
        a.from = from;
        int d0 = n[0];
        ar.fromDouble(x.data(), from * d0, a.h[0], 0, rows * d0);
        for (int l = 0; l < layers; l++) {
            int in = n[l];
            int out = n[l + 1];
            boolean hidden = l + 1 < layers;
            A z = hidden ? a.h[l + 1] : a.out;
            ar.gemmABt(rows, out, in, c[l], a.h[l], 0, in, w[l], 0, in, 0.0, z, 0, out);
            A bl = sb[l];
            A dl = hidden ? a.d[l + 1] : null;
            Activation phi = hidden ? act[l + 1] : null;
            if (bl != null || hidden) {
                ar.pool.parallelFor(rows, (long) out * (hidden ? 16 : 1), (r0, r1) -> {
                    for (int r = r0; r < r1; r++) {
                        if (bl != null) {
                            ar.add(z, r * out, bl, out);
                        }
                        if (hidden) {
                            ar.activate(phi, z, r * out, z, dl, r * out, out);
                        }
                    }
                });
            }
        }
    }

    /**
     * Backpropagation of all O outputs for a chunk of examples, one layer at a time from the top: Δ^{l+1} holds
     * δ^{l+1}_a(x_r) = ∂f_a(x_r)/∂z^{l+1} in row r·O + a (rows × O by n_{l+1}). Δ^L is the identity;
     * Δ^l = φ'(z^l) ⊙ (c_l·Δ^{l+1}·W^l), one GEMM per layer below the last hidden one (Δ^{L-1} is rows of W^{L-1}).
     */
    final class Backprop {
        private final Acts a;
        private A cur;
        private A next;
        private int layer;

        Backprop(Acts a) {
            this.a = a;
            // viewed as rows × (O·width) in TRACE mode: that is the leading dimension the slack must cover
            cur = ar.matrix(a.capacity, outputs * maxDeltaWidth);
            next = ar.matrix(a.capacity, outputs * maxDeltaWidth);
        }

        /** Starts at the top: layer L-1, Δ^L = I. */
        void start() {
            layer = layers - 1;
            int rows = a.rows * outputs;
            for (int i = 0; i < rows * outputs; i++) {
                ar.set(cur, i, 0.0);
            }
            for (int r = 0; r < rows; r++) {
                ar.set(cur, r * outputs + r % outputs, 1.0);
            }
        }

        /** The layer l whose parameters Δ^{l+1} and h^l differentiate. */
        int layer() {
            return layer;
        }

        /** Δ^{layer+1}, (rows·O) × n_{layer+1}. */
        A delta() {
            return cur;
        }

        /** h^{layer}, rows × n_{layer}. */
        A h() {
            return a.h[layer];
        }

        /** φ'(z^{layer+1}), rows × n_{layer+1} (hidden layers only). */
        A phiPrime() {
            return a.d[layer + 1];
        }

        /** Examples in this chunk. */
        int rows() {
            return a.rows;
        }

        /** Moves one layer down; false when layer 0 was the last. */
        boolean advance() {
            if (layer == 0) {
                return false;
            }
            int l = layer;
            int rows = a.rows * outputs;
            int in = n[l];
            A dl = a.d[l];
            A t = next;
            A wl = w[l];
            double cl = c[l];
            if (l == layers - 1) {
                // Δ^L is the identity: row (r, a) of Δ^L·W^{L-1} is row a of W^{L-1}, no product needed
                ar.pool.parallelFor(a.rows, (long) outputs * in, (r0, r1) -> {
                    for (int r = r0; r < r1; r++) {
                        for (int o = 0; o < outputs; o++) {
                            ar.scale(t, (r * outputs + o) * in, wl, o * in, in, cl);
                            ar.mul(t, (r * outputs + o) * in, dl, r * in, in);
                        }
                    }
                });
            } else {
                ar.gemmAB(rows, in, n[l + 1], cl, cur, 0, n[l + 1], wl, 0, in, 0.0, next, 0, in);
                ar.pool.parallelFor(a.rows, (long) outputs * in, (r0, r1) -> {
                    for (int r = r0; r < r1; r++) {
                        for (int o = 0; o < outputs; o++) {
                            ar.mul(t, (r * outputs + o) * in, dl, r * in, in);
                        }
                    }
                });
            }
            next = cur;
            cur = t;
            layer = l - 1;
            return true;
        }
    }

    Backprop newBackprop(Acts a) {
        return new Backprop(a);
    }

    /**
     * v_i = c_{L-1}·(Σ_a (W^{L-1}_{a,i})²)^½ for the last hidden layer, from the working-precision weights: because
     * δ^L_a = e_a, δ^{L-1}_a = φ'(z^{L-1}) ⊙ c_{L-1}·W^{L-1}_{a,:}, so Σ_a ⟨δ^{L-1}_a(x), δ^{L-1}_a(x')⟩ =
     * ⟨φ'(z^{L-1}(x)) ⊙ v, φ'(z^{L-1}(x')) ⊙ v⟩ — the trace over outputs of that layer's δ Gram in one width-long
     * product instead of an O·width-long one.
     */
    double[] topTraceScale() {
        int l = layers - 1;
        int in = n[l];
        double[] v = new double[in];
        for (int a = 0; a < outputs; a++) {
            for (int i = 0; i < in; i++) {
                double wv = ar.get(w[l], a * in + i);
                v[i] += wv * wv;
            }
        }
        for (int i = 0; i < in; i++) {
            v[i] = c[l] * Math.sqrt(v[i]);
        }
        return v;
    }

    /** Columns of layer l's parameter block in the augmented view [W^l | b^l]: n_l, plus one with bias. */
    int augmentedWidth(int l) {
        return n[l] + (bias[l] ? 1 : 0);
    }

    /**
     * h̃ = [c_l·h^l, s_l] per row (rounded), so that ∂f_a/∂[W^l|b^l]_{ij} = δ^{l+1}_{a,i}·h̃_j for every column j of the
     * augmented parameter block.
     */
    void augment(int l, A h, int rows, A out) {
        int in = n[l];
        int wa = augmentedWidth(l);
        double cl = c[l];
        double sl = s[l];
        ar.pool.parallelFor(rows, in, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                ar.scale(out, r * wa, h, r * in, in, cl);
                if (bias[l]) {
                    ar.set(out, r * wa + in, sl);
                }
            }
        });
    }
}

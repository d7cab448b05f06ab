package org.ntk4j.cpu;

import java.util.ArrayList;
import java.util.List;
import org.ntk4j.Matrix;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * The sequence of {@link CpuLayer}s with their parameters in the working precision (converted once per call from the
 * fp64 {@link Parameters}, so every backend starts from identical values — or kept between calls by a
 * {@link CpuPreparedModel}, which updates them in place): the batched forward pass over the layers and the batched
 * backpropagation of m δs per example down to the lowest layer with parameters.
 */
final class Network<A> {
    final Arith<A> ar;
    final Architecture arch;
    /** The sequence, one CpuLayer per layer. */
    final List<CpuLayer<A>> layers;
    /** The layers with parameters, l = 0 … L-1. */
    final List<CpuLayer<A>> parameterized;
    /** O. */
    final int outputs;
    /** The index in {@link #layers} of the lowest layer with parameters: backpropagation stops there. */
    final int first;
    /** The widest δ the backpropagation holds: the outputs of the layers from {@link #first} up. */
    final int maxDeltaWidth;

    Network(Arith<A> ar, Parameters p) {
        this.ar = ar;
        this.arch = p.architecture();
        this.outputs = arch.outputDim();
        List<CpuLayer<A>> all = new ArrayList<>();
        List<CpuLayer<A>> withParams = new ArrayList<>();
        int low = -1;
        for (int i = 0, l = 0; i < arch.sequence().size(); i++) {
            CpuLayer<A> layer = CpuLayer.of(ar, p, i, l);
            all.add(layer);
            if (layer.hasParameters()) {
                withParams.add(layer);
                l++;
                if (low < 0) {
                    low = i;
                }
            }
        }
        this.layers = List.copyOf(all);
        this.parameterized = List.copyOf(withParams);
        this.first = low;
        int mw = 0;
        for (int i = first; i < layers.size(); i++) {
            mw = Math.max(mw, layers.get(i).outputWidth());
        }
        this.maxDeltaWidth = mw;
    }

    /** Elements of the forward state per example: the input, every output not written in place, the saved state. */
    long activationsPerExample() {
        long e = arch.inputDim();
        for (CpuLayer<A> layer : layers) {
            e += (layer.inPlace() ? 0 : layer.outputWidth()) + layer.savedPerExample();
        }
        return e;
    }

    /** Σ {@link CpuLayer#fixedScratch}: elements the layers keep whatever the chunk size. */
    long fixedScratch() {
        long e = 0;
        for (CpuLayer<A> layer : layers) {
            e += layer.fixedScratch(outputs);
        }
        return e;
    }

    /**
     * What {@link org.ntk4j.Implementation#AUTO} means here: the structured form unless its per-pair cost exceeds
     * the Jacobian contraction's (convolutions over many positions: the structured term's (H'·W')² products per pair
     * outweigh the Gram of C_out·fan weight blocks); always for dense layers and activations.
     *
     * @param mode the kernel's mode
     * @return whether to run the structured form
     */
    boolean autoStructured(org.ntk4j.NtkMode mode) {
        double extra = 0;
        for (CpuLayer<A> layer : parameterized) {
            extra += layer.structuredExtraCost(outputs, mode);
        }
        return extra <= 0;
    }

    /** P: the columns of the Jacobian, Σ of {@link CpuLayer#jacobianColumns()}. */
    int jacobianColumns() {
        int p = 0;
        for (CpuLayer<A> layer : parameterized) {
            p += layer.jacobianColumns();
        }
        return p;
    }

    /** The largest {@link CpuLayer#jacobianScratchWidth()}. */
    int maxJacobianScratchWidth() {
        int w = 0;
        for (CpuLayer<A> layer : parameterized) {
            w = Math.max(w, layer.jacobianScratchWidth());
        }
        return w;
    }

    /** The largest {@link CpuLayer#gradientScratchWidth()}. */
    int maxGradientScratchWidth() {
        int w = 0;
        for (CpuLayer<A> layer : parameterized) {
            w = Math.max(w, layer.gradientScratchWidth());
        }
        return w;
    }

    /** The forward state of up to {@code capacity} examples. */
    final class Acts {
        final int capacity;
        int rows;
        int from;
        /** buf[i] is the input of layer i (buf[0] the examples), buf[n] the output f; shared where in place. */
        final A[] buf;
        /** What layer i keeps for its backward pass (null where nothing). */
        final A[] saved;

        @SuppressWarnings("unchecked")
        Acts(int capacity) {
            this.capacity = capacity;
            int n = layers.size();
            buf = (A[]) new Object[n + 1];
            saved = (A[]) new Object[n];
            buf[0] = ar.matrix(capacity, arch.inputDim());
            for (int i = 0; i < n; i++) {
                CpuLayer<A> layer = layers.get(i);
                buf[i + 1] = layer.inPlace() ? buf[i] : ar.matrix(capacity, layer.outputWidth());
                saved[i] = layer.newSaved(capacity);
            }
        }

        /** f (rows × O). */
        A out() {
            return buf[layers.size()];
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
        int d0 = arch.inputDim();
        ar.fromDouble(x.data(), from * d0, a.buf[0], 0, rows * d0);
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).forward(a.buf[i], a.buf[i + 1], a.saved[i], rows);
        }
    }

    /**
     * The rows of the δ at the top that the last dense layer's backward pass makes from the identity, as
     * {@link CpuDense} notes them for the layer below: δ_a(x_r) = φ'(x_r) ⊙ (c·W_{a,:}), φ' from the one activation
     * between (null where there is none).
     */
    record TopRows<A>(CpuDense<A> top, A phiPrime) {
    }

    /**
     * Backpropagation of m δs per example for a chunk, one layer at a time from the top: {@link #delta()} holds
     * the δ at the output of the current layer, row r·m + a for δ_a of example r. The NTK's backpropagation starts at
     * the identity (m = O, δ_a = ∂f_a/∂f); a gradient's at the residual (m = 1).
     */
    final class Backprop {
        private final Acts a;
        final int multiplicity;
        private A cur;
        private A next;
        private int layer;
        private boolean identity;
        private TopRows<A> topRows;

        Backprop(Acts a, int multiplicity) {
            this.a = a;
            this.multiplicity = multiplicity;
            // viewed as rows × (m·width) in TRACE mode: that is the leading dimension the slack must cover
            cur = ar.matrix(a.capacity, multiplicity * maxDeltaWidth);
            next = ar.matrix(a.capacity, multiplicity * maxDeltaWidth);
        }

        /** Starts at the top with δ_a = e_a (m = O). */
        void start() {
            layer = layers.size() - 1;
            identity = true;
            topRows = null;
            int rows = a.rows * outputs;
            for (int i = 0; i < rows * outputs; i++) {
                ar.set(cur, i, 0.0);
            }
            for (int r = 0; r < rows; r++) {
                ar.set(cur, r * outputs + r % outputs, 1.0);
            }
        }

        /** Starts at the top with the δ the caller has written into {@link #delta()}. */
        void startWritten() {
            layer = layers.size() - 1;
            identity = false;
            topRows = null;
        }

        /** The index in the sequence of the layer whose output δ is {@link #delta()}. */
        int layer() {
            return layer;
        }

        /** The δ at the current layer's output, (rows·m) × its output width. */
        A delta() {
            return cur;
        }

        /** Whether {@link #delta()} is still the identity it started as (rows of e_a). */
        boolean identity() {
            return identity;
        }

        /** What the last dense layer noted about the δ rows, or null (see {@link TopRows}). */
        TopRows<A> topRows() {
            return topRows;
        }

        /** Set by the layer's backward pass for the layer below (cleared before every step). */
        void topRows(TopRows<A> rows) {
            this.topRows = rows;
        }

        /** The current layer's input, rows × its input width. */
        A input() {
            return a.buf[layer];
        }

        /** What the current layer saved in the forward pass. */
        A saved() {
            return a.saved[layer];
        }

        /** Examples in this chunk. */
        int rows() {
            return a.rows;
        }

        /** Moves one layer down; false when the current layer is the lowest with parameters. */
        boolean advance() {
            if (layer <= first) {
                return false;
            }
            TopRows<A> noted = topRows;
            topRows = null;
            A out = layers.get(layer).backward(this, next, noted);
            identity = false;
            if (out != cur) {
                next = cur;
                cur = out;
            }
            layer--;
            return true;
        }
    }

    /**
     * The forward pass of rows [from, to) of x, then backpropagation from the top, handing each layer with parameters
     * to {@code visit} while its output δs stand in bp (timed as fill; the passes as forward and backward).
     */
    void walk(Matrix x, int from, int to, Acts acts, Backprop bp, CpuProfile.Timer timer,
              java.util.function.Consumer<CpuLayer<A>> visit) {
        long t = System.nanoTime();
        forward(x, from, to, acts);
        timer.forward += System.nanoTime() - t;
        t = System.nanoTime();
        bp.start();
        timer.backward += System.nanoTime() - t;
        do {
            CpuLayer<A> layer = layers.get(bp.layer());
            if (layer.hasParameters()) {
                t = System.nanoTime();
                visit.accept(layer);
                timer.fill += System.nanoTime() - t;
            }
            t = System.nanoTime();
            boolean more = bp.advance();
            timer.backward += System.nanoTime() - t;
            if (!more) {
                return;
            }
        } while (true);
    }

    /** A backpropagation of the O outputs (for kernels and Jacobians). */
    Backprop newBackprop(Acts a) {
        return new Backprop(a, outputs);
    }

    /** A backpropagation of one δ per example (for gradients). */
    Backprop newGradientBackprop(Acts a) {
        return new Backprop(a, 1);
    }
}

package org.ntk4j.cpu;

import org.ntk4j.NtkMode;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Conv;
import org.ntk4j.model.Parameters;
import org.ntk4j.model.Shape;

/**
 * A 2-D convolution on the CPU backend by im2col: the forward pass writes each example's patches, (H'·W') ×
 * (C_in·kh·kw) with column i·kh·kw + dy·kw + dx (the order of a row of PyTorch's (C_out, C_in, kh, kw) weights), and
 * keeps them; then z = c·patches·Wᵀ + s·b is one GEMM whose rows are the output positions, NHWC as they come.
 *
 * <p>Backward: per δ row, c·δ·W (positions × fan) scattered back onto the input pixels (col2im, summed in fp64).
 * The weight Jacobian of one (example, output) is c·δᵀ·patches (Σ over positions of δ ⊗ patch), the bias's s·Σ_p δ.
 * Structured NTK: per pair of examples, F = c²·P·P'ᵀ + s² over positions (the patches' Gram), T_b = F·δ'_b, and
 * Θ_ab += ⟨δ_a, T_b⟩ = Σ_{p,p'} F_{pp'}·⟨δ_{a,p}, δ'_{b,p'}⟩ — Gram products of patches and δs, never J.
 */
final class CpuConv<A> implements CpuLayer<A> {
    private final Arith<A> ar;
    private final int inWidth;
    private final int cin;
    private final int cout;
    /** kh·kw. */
    private final int area;
    /** C_in·kh·kw. */
    private final int fan;
    /** H'·W'. */
    private final int positions;
    /** For position p and window offset k: the input pixel y·W + x read there, or −1 for a padding zero. */
    private final int[] source;
    /** W (C_out, fan), s·b, the scales and offsets. */
    private final LayerWeights<A> weights;
    /** Scratch, allocated on first use: δ·W of one row, a weight block, and the structured term's F, T, G. */
    private A rowPatches;
    private A block;
    private A f;
    private A t;
    private A g;

    /** Conv layer l, at index i of the sequence. */
    CpuConv(Arith<A> ar, Parameters p, Conv conv, int i, int l) {
        Architecture arch = p.architecture();
        Shape in = arch.inputShape(i);
        Shape out = arch.outputShape(i);
        this.ar = ar;
        this.inWidth = in.intSize("the input of layer " + i);
        int height = (int) in.dim(0);
        int width = (int) in.dim(1);
        this.cin = (int) in.dim(2);
        this.cout = conv.channels();
        int ho = (int) out.dim(0);
        int wo = (int) out.dim(1);
        this.area = conv.window().area();
        this.fan = cin * area;
        this.positions = ho * wo;
        this.source = sources(conv.window(), height, width, ho, wo);
        this.weights = new LayerWeights<>(ar, p, l, cout, fan);
    }

    /** The pixel each window offset of each output position reads (−1: a padding zero), shared with pooling. */
    static int[] sources(org.ntk4j.model.Window win, int height, int width, int ho, int wo) {
        int area = win.area();
        int[] src = new int[ho * wo * area];
        for (int y = 0; y < ho; y++) {
            for (int x = 0; x < wo; x++) {
                for (int dy = 0; dy < win.height(); dy++) {
                    long sy = win.sourceRow(y, dy, height);
                    for (int dx = 0; dx < win.width(); dx++) {
                        long sx = win.sourceColumn(x, dx, width);
                        src[(y * wo + x) * area + dy * win.width() + dx] = sy < 0 || sx < 0 ? -1
                                : (int) (sy * width + sx);
                    }
                }
            }
        }
        return src;
    }

    @Override
    public int inputWidth() {
        return inWidth;
    }

    @Override
    public int outputWidth() {
        return positions * cout;
    }

    @Override
    public boolean hasParameters() {
        return true;
    }

    /** The patches. */
    @Override
    public long savedPerExample() {
        return (long) positions * fan;
    }

    @Override
    public A newSaved(int capacity) {
        return ar.matrix(Arith.checkedSize((long) capacity * positions), fan);
    }

    /** One row's δ·W, a weight block, and the structured term's F, T and G. */
    @Override
    public long fixedScratch(int outputs) {
        return (long) positions * fan + (long) cout * fan + (long) positions * positions
                + (long) outputs * outputWidth() + (long) outputs * outputs;
    }

    /**
     * Per pair: structured P'²·fan (the patches' Gram) + O·P'²·C_out (T) + O²·P'·C_out (G); by Jacobian contraction
     * the Gram of the two examples' weight blocks, O·C_out·(fan + 1) values per output pair contracted (O of them in
     * TRACE and DIAGONAL mode, O² in FULL).
     */
    @Override
    public double structuredExtraCost(int outputs, NtkMode mode) {
        double p = positions;
        double structured = p * p * fan + outputs * p * p * cout + (double) outputs * outputs * p * cout;
        double jacobian = (mode == NtkMode.FULL ? (double) outputs * outputs : outputs) * cout * (fan + 1.0);
        return structured - jacobian;
    }

    @Override
    public LayerWeights<A> weights() {
        return weights;
    }

    @Override
    public void forward(A h, A z, A patches, int rows) {
        ar.pool.parallelFor(rows, (long) positions * fan, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                for (int p = 0; p < positions; p++) {
                    int base = (r * positions + p) * fan;
                    for (int k = 0; k < area; k++) {
                        int px = source[p * area + k];
                        ar.spread(px < 0 ? null : h, r * inWidth + Math.max(px, 0) * cin, patches, base + k, area, cin);
                    }
                }
            }
        });
        ar.gemmABt(rows * positions, cout, fan, weights.c, patches, 0, fan, weights.w, 0, fan, 0.0, z, 0, cout);
        weights.addBias(z, rows * positions);
    }

    /** Per δ row: c·δ·W (positions × fan), each entry added onto the pixel it was read from, in fp64. */
    @Override
    public A backward(Network<A>.Backprop bp, A spare, Network.TopRows<A> noted) {
        int rows = bp.rows() * bp.multiplicity;
        int outWidth = outputWidth();
        A delta = bp.delta();
        if (rowPatches == null) {
            rowPatches = ar.matrix(positions, fan);
        }
        double[] acc = new double[inWidth];
        for (int q = 0; q < rows; q++) {
            ar.gemmAB(positions, fan, cout, weights.c, delta, q * outWidth, cout, weights.w, 0, fan, 0.0, rowPatches, 0, fan);
            java.util.Arrays.fill(acc, 0.0);
            for (int p = 0; p < positions; p++) {
                for (int k = 0; k < area; k++) {
                    int px = source[p * area + k];
                    if (px >= 0) {
                        ar.accumulateStrided(acc, px * cin, rowPatches, p * fan + k, area, cin);
                    }
                }
            }
            ar.fromDouble(acc, 0, spare, q * inWidth, inWidth);
        }
        return spare;
    }

    /** Σ_p δ_{q,p,o} of one δ row, in fp64. */
    private double biasSum(A delta, int q, int o) {
        double sum = 0;
        int base = q * outputWidth() + o;
        for (int p = 0; p < positions; p++) {
            sum += ar.get(delta, base + p * cout);
        }
        return sum;
    }

    private A block() {
        if (block == null) {
            block = ar.matrix(cout, fan);
        }
        return block;
    }

    @Override
    public void jacobianRows(Network<A>.Backprop bp, double[] dst, int base, int p, A scratch) {
        int m = bp.multiplicity;
        int rows = bp.rows() * m;
        A delta = bp.delta();
        A patches = bp.saved();
        A blk = block();
        for (int q = 0; q < rows; q++) {
            int r = q / m;
            ar.gemmAtB(cout, fan, positions, weights.c, delta, q * outputWidth(), cout, patches, r * positions * fan, fan, 0.0,
                    blk, 0, fan);
            long rowStart = (long) (base + q) * p;
            ar.toDouble(blk, 0, dst, (int) (rowStart + weights.wOff), cout * fan);
            if (weights.bias) {
                for (int o = 0; o < cout; o++) {
                    dst[(int) (rowStart + weights.bOff + o)] = ar.round(weights.s * biasSum(delta, q, o));
                }
            }
        }
    }

    @Override
    public void gradient(Network<A>.Backprop bp, double[] grad, A tmp, int blockRows) {
        int rows = bp.rows();
        A delta = bp.delta();
        A blk = block();
        ar.gemmAtB(cout, fan, rows * positions, weights.c, delta, 0, cout, bp.saved(), 0, fan, 0.0, blk, 0, fan);
        ar.pool.parallelFor(cout, fan, (o0, o1) -> ar.accumulate(grad, weights.wOff + o0 * fan, blk, o0 * fan, (o1 - o0) * fan));
        if (weights.bias) {
            for (int o = 0; o < cout; o++) {
                double sum = 0;
                for (int r = 0; r < rows; r++) {
                    sum += biasSum(delta, r, o);
                }
                grad[weights.bOff + o] += weights.s * sum;
            }
        }
    }

    // ---- Jacobian contraction ----

    @Override
    public void jacobianTerm(NtkCompute<A>.Block blk, Network<A>.Backprop bpI, Network<A>.Backprop bpJ) {
        int wa = weights.augmentedWidth();
        int pc = blk.parameterChunk();
        int channelsPerChunk = Math.max(1, pc / wa);
        int colsPerPiece = Math.min(wa, pc);
        CpuProfile.Timer timer = blk.timer();
        for (int o0 = 0; o0 < cout; o0 += channelsPerChunk) {
            int o1 = Math.min(cout, o0 + channelsPerChunk);
            for (int j0 = 0; j0 < wa; j0 += colsPerPiece) {
                int j1 = Math.min(wa, j0 + colsPerPiece);
                int cols = (o1 - o0) * (j1 - j0);
                long t0 = System.nanoTime();
                fill(blk.jacobianI, 0, bpI, o0, o1, j0, j1, cols);
                if (!blk.diagonal()) {
                    fill(blk.jacobianJ, 0, bpJ, o0, o1, j0, j1, cols);
                }
                timer.fill += System.nanoTime() - t0;
                blk.contractJacobianChunk(cols);
            }
        }
    }

    @Override
    public int jacobianColumns() {
        return cout * (weights.augmentedWidth());
    }

    @Override
    public void jacobianColumns(Network<A>.Backprop bp, A jac, int off, int ld, A scratch) {
        int wa = weights.augmentedWidth();
        fill(jac, off, bp, 0, cout, 0, wa, ld);
    }

    /**
     * Jacobian columns of output channels [o0, o1) × augmented columns [j0, j1) of [W | b] for every (example,
     * output) row q, from {@code off + q·cols}: c·δᵀ·patches for the weights, s·Σ_p δ for the bias column.
     */
    private void fill(A jac, int off, Network<A>.Backprop bp, int o0, int o1, int j0, int j1, int cols) {
        int m = bp.multiplicity;
        int rows = bp.rows() * m;
        int wd = j1 - j0;
        int weightCols = Math.min(j1, fan) - j0;
        A delta = bp.delta();
        A patches = bp.saved();
        for (int q = 0; q < rows; q++) {
            int r = q / m;
            if (weightCols > 0) {
                ar.gemmAtB(o1 - o0, weightCols, positions, weights.c, delta, q * outputWidth() + o0, cout, patches,
                        r * positions * fan + j0, fan, 0.0, jac, off + q * cols, wd);
            }
            if (weights.bias && j1 > fan) {
                for (int o = o0; o < o1; o++) {
                    ar.set(jac, off + q * cols + (o - o0) * wd + fan - j0, weights.s * biasSum(delta, q, o));
                }
            }
        }
    }

    // ---- structured ----

    @Override
    public void structuredTerm(NtkCompute<A>.Block blk, Network<A>.Backprop bpI, Network<A>.Backprop bpJ) {
        int o = blk.outputs();
        int outWidth = outputWidth();
        if (f == null) {
            f = ar.matrix(positions, positions);
            t = ar.matrix(o, outWidth);
            g = ar.matrix(o, o);
        }
        A pI = bpI.saved();
        A pJ = bpJ.saved();
        A dI = bpI.delta();
        A dJ = bpJ.delta();
        double s2 = weights.s * weights.s;
        boolean diagonal = blk.diagonal();
        CpuProfile.Timer timer = blk.timer();
        for (int n = 0; n < blk.rowsI(); n++) {
            for (int m = diagonal ? n : 0; m < blk.rowsJ(); m++) {
                long t0 = System.nanoTime();
                ar.gemmABt(positions, positions, fan, weights.c * weights.c, pI, n * positions * fan, fan, pJ, m * positions * fan,
                        fan, 0.0, f, 0, positions);
                if (s2 != 0) {
                    for (int e = 0; e < positions * positions; e++) {
                        ar.set(f, e, ar.get(f, e) + s2);
                    }
                }
                for (int b = 0; b < o; b++) {
                    ar.gemmAB(positions, cout, positions, 1.0, f, 0, positions, dJ, (m * o + b) * outWidth, cout, 0.0,
                            t, b * outWidth, cout);
                }
                ar.gemmABt(o, o, outWidth, 1.0, dI, n * o * outWidth, outWidth, t, 0, outWidth, 0.0, g, 0, o);
                timer.gram += System.nanoTime() - t0;
                blk.accumulatePair(n, m, g);
            }
        }
    }
}

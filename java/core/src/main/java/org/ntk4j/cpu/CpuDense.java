package org.ntk4j.cpu;

import org.ntk4j.model.Architecture;
import org.ntk4j.model.Dense;
import org.ntk4j.model.Parameters;

/**
 * {@code z = c·W·h + s·b} on the CPU backend: W (out, in) row-major in the working precision, s·b rounded once; c and
 * s from the network's parameterization and the layer's σ_w, σ_b ({@link Architecture#weightScale},
 * {@link Architecture#biasScale}).
 *
 * <p>Its terms of the NTK: structured, F = c²·H_I·H_Jᵀ + s² (fp64) times the δ Gram G = Δ_I·Δ_Jᵀ with the contraction
 * the mode needs (FULL: rows (n, a) by width; TRACE: Δ viewed as N × (O·width), so the sum over a is inside one
 * GEMM; DIAGONAL: one Gram per a over a strided view). In TRACE mode the dense layer below the last one needs no
 * output dimension at all: there δ_a = φ' ⊙ c·W^{top}_{a,:}, so its trace Gram is the Gram of
 * φ' ⊙ (c·‖W^{top}_{:,i}‖)_i over the width alone ({@link #topTraceScale}), O times cheaper. By Jacobian
 * contraction, the block [W | b] is cut into chunks of at most the plan's parameter chunk of columns; for each the
 * Jacobian columns ∂f_a(x_n)/∂θ = δ_{a,i}·h̃_j (h̃ = [c·h, s]) are written for both chunks of examples and their Gram
 * product is added to the fp64 accumulator.
 */
final class CpuDense<A> implements CpuLayer<A> {
    private final Arith<A> ar;
    private final int in;
    private final int out;
    /** W (out, in), s·b, the scales and offsets. */
    private final LayerWeights<A> weights;

    /** Dense layer l, at index i of the sequence. */
    CpuDense(Arith<A> ar, Parameters p, Dense d, int i, int l) {
        this.ar = ar;
        this.in = d.inputWidth(p.architecture().inputShape(i));
        this.out = d.width();
        this.weights = new LayerWeights<>(ar, p, l, out, in);
    }

    @Override
    public int inputWidth() {
        return in;
    }

    @Override
    public int outputWidth() {
        return out;
    }

    @Override
    public boolean hasParameters() {
        return true;
    }

    @Override
    public LayerWeights<A> weights() {
        return weights;
    }

    @Override
    public void forward(A h, A z, A saved, int rows) {
        ar.gemmABt(rows, out, in, weights.c, h, 0, in, weights.w, 0, in, 0.0, z, 0, out);
        weights.addBias(z, rows);
    }

    /**
     * δ_in = c·δ·W, one GEMM over the rows·m δ rows; from the identity (the last layer, m = O) row (r, a) is row a of
     * c·W, no product needed — and the layer below is told so ({@link Network.TopRows}).
     */
    @Override
    public A backward(Network<A>.Backprop bp, A spare, Network.TopRows<A> noted) {
        int m = bp.multiplicity;
        if (bp.identity()) {
            ar.pool.parallelFor(bp.rows(), (long) m * in, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    for (int o = 0; o < m; o++) {
                        ar.scale(spare, (r * m + o) * in, weights.w, o * in, in, weights.c);
                    }
                }
            });
            bp.topRows(new Network.TopRows<>(this, null));
        } else {
            ar.gemmAB(bp.rows() * m, in, out, weights.c, bp.delta(), 0, out, weights.w, 0, in, 0.0, spare, 0, in);
        }
        return spare;
    }

    /**
     * v_i = c·(Σ_a W_{a,i}²)^½ of this, the last, layer, from the working-precision weights: because δ^{top}_a = e_a,
     * the δ one activation below is φ' ⊙ c·W_{a,:}, so Σ_a ⟨δ_a(x), δ_a(x')⟩ = ⟨φ'(x) ⊙ v, φ'(x') ⊙ v⟩ — the trace over
     * outputs of that δ Gram in one width-long product instead of an O·width-long one.
     */
    double[] topTraceScale() {
        double[] v = new double[in];
        for (int a = 0; a < out; a++) {
            for (int i = 0; i < in; i++) {
                double wv = ar.get(weights.w, a * in + i);
                v[i] += wv * wv;
            }
        }
        for (int i = 0; i < in; i++) {
            v[i] = weights.c * Math.sqrt(v[i]);
        }
        return v;
    }

    // ---- structured ----

    @Override
    public void structuredTerm(NtkCompute<A>.Block blk, Network<A>.Backprop bpI, Network<A>.Backprop bpJ) {
        int bI = blk.rowsI();
        int bJ = blk.rowsJ();
        int o = blk.outputs();
        boolean diagonal = blk.diagonal();
        long t = System.nanoTime();
        blk.product(bI, bJ, in, bpI.input(), 0, bpJ.input(), 0, in, blk.hg, bJ);
        double c2 = weights.c * weights.c;
        double s2 = weights.s * weights.s;
        double[] f = blk.f;
        for (int r = 0; r < bI; r++) {
            for (int col = diagonal ? r : 0; col < bJ; col++) {
                f[r * bJ + col] = c2 * ar.get(blk.hg, r * bJ + col) + s2;
            }
        }
        A dI = bpI.delta();
        A dJ = bpJ.delta();
        A g = blk.g;
        CpuProfile.Timer timer = blk.timer();
        switch (blk.mode()) {
            case TRACE -> {
                Network.TopRows<A> top = bpI.topRows();
                if (top != null) {
                    // below the last layer: Σ_a of the δ Gram is the Gram of φ' ⊙ v (topTraceScale)
                    double[] v = blk.topScale(top.top());
                    A uI = scaled(bpI.rows(), top.phiPrime(), v, blk.topBuffer(true, out));
                    A uJ = diagonal ? uI : scaled(bpJ.rows(), bpJ.topRows().phiPrime(), v, blk.topBuffer(false, out));
                    blk.product(bI, bJ, out, uI, 0, uJ, 0, out, g, bJ);
                } else {
                    blk.product(bI, bJ, o * out, dI, 0, dJ, 0, o * out, g, bJ);
                }
                timer.gram += System.nanoTime() - t;
                t = System.nanoTime();
                blk.accumulateScaled(blk.sliceBase(0), bI, bJ);
            }
            case DIAGONAL -> {
                for (int a = 0; a < o; a++) {
                    long ta = System.nanoTime();
                    blk.product(bI, bJ, out, dI, a * out, dJ, a * out, o * out, g, bJ);
                    timer.gram += System.nanoTime() - ta;
                    ta = System.nanoTime();
                    blk.accumulateScaled(blk.sliceBase(a), bI, bJ);
                    timer.accumulate += System.nanoTime() - ta;
                }
                return;
            }
            default -> {
                blk.product(bI * o, bJ * o, out, dI, 0, dJ, 0, out, g, bJ * o);
                timer.gram += System.nanoTime() - t;
                t = System.nanoTime();
                blk.accumulateFull(bI, bJ);
            }
        }
        timer.accumulate += System.nanoTime() - t;
    }

    /** φ' ⊙ v per row over this layer's outputs (v alone where there is no activation between), into buf. */
    private A scaled(int rows, A phiPrime, double[] v, A buf) {
        ar.pool.parallelFor(rows, out, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                for (int i = 0; i < out; i++) {
                    ar.set(buf, r * out + i, phiPrime == null ? v[i] : ar.get(phiPrime, r * out + i) * v[i]);
                }
            }
        });
        return buf;
    }

    // ---- Jacobian contraction ----

    @Override
    public int jacobianScratchWidth() {
        return in + 1;
    }

    @Override
    public int gradientScratchWidth() {
        return in;
    }

    /**
     * h̃ = [c·h, s] per row (rounded), so that ∂f_a/∂[W|b]_{ij} = δ_{a,i}·h̃_j for every column j of the augmented
     * parameter block.
     */
    private void augment(A h, int rows, A dst) {
        int wa = weights.augmentedWidth();
        ar.pool.parallelFor(rows, in, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                ar.scale(dst, r * wa, h, r * in, in, weights.c);
                if (weights.bias) {
                    ar.set(dst, r * wa + in, weights.s);
                }
            }
        });
    }

    @Override
    public void jacobianTerm(NtkCompute<A>.Block blk, Network<A>.Backprop bpI, Network<A>.Backprop bpJ) {
        int bI = blk.rowsI();
        int bJ = blk.rowsJ();
        int o = blk.outputs();
        boolean diagonal = blk.diagonal();
        CpuProfile.Timer timer = blk.timer();
        int wa = weights.augmentedWidth();
        A hAugI = blk.scratchI;
        A hAugJ = blk.scratchJ;
        long t = System.nanoTime();
        augment(bpI.input(), bI, hAugI);
        if (!diagonal) {
            augment(bpJ.input(), bJ, hAugJ);
        }
        timer.fill += System.nanoTime() - t;
        // chunks: whole rows i of [W | b] when a row fits, else column pieces of one row
        int pc = blk.parameterChunk();
        int rowsPerChunk = Math.max(1, pc / wa);
        int colsPerPiece = Math.min(wa, pc);
        A jI = blk.jacobianI;
        A jJ = blk.jacobianJ;
        for (int iStart = 0; iStart < out; iStart += rowsPerChunk) {
            int iEnd = Math.min(out, iStart + rowsPerChunk);
            for (int jStart = 0; jStart < wa; jStart += colsPerPiece) {
                int jEnd = Math.min(wa, jStart + colsPerPiece);
                int cols = (iEnd - iStart) * (jEnd - jStart);
                t = System.nanoTime();
                fill(jI, 0, bpI.delta(), hAugI, bI, o, iStart, iEnd, jStart, jEnd, cols);
                if (!diagonal) {
                    fill(jJ, 0, bpJ.delta(), hAugJ, bJ, o, iStart, iEnd, jStart, jEnd, cols);
                }
                timer.fill += System.nanoTime() - t;
                blk.contractJacobianChunk(cols);
            }
        }
    }

    @Override
    public int jacobianColumns() {
        return out * weights.augmentedWidth();
    }

    @Override
    public void jacobianColumns(Network<A>.Backprop bp, A jac, int off, int ld, A hAug) {
        augment(bp.input(), bp.rows(), hAug);
        fill(jac, off, bp.delta(), hAug, bp.rows(), bp.multiplicity, 0, out, 0, weights.augmentedWidth(), ld);
    }

    /**
     * Jacobian columns of rows [iStart, iEnd) × augmented columns [jStart, jEnd) of the parameter block:
     * J[(r, a), (i − iStart)·w + (j − jStart)] = δ_{(r,a), i}·h̃_{r, j}, row (r, a) = q from {@code off + q·cols}.
     */
    private void fill(A jac, int off, A delta, A hAug, int rows, int o, int iStart, int iEnd, int jStart, int jEnd,
                      int cols) {
        int wa = weights.augmentedWidth();
        int wd = jEnd - jStart;
        ar.pool.parallelFor(rows * o, cols, (q0, q1) -> {
            for (int q = q0; q < q1; q++) {
                int r = q / o;
                int base = off + q * cols;
                for (int i = iStart; i < iEnd; i++) {
                    ar.scale(jac, base + (i - iStart) * wd, hAug, r * wa + jStart, wd, ar.get(delta, q * out + i));
                }
            }
        });
    }

    // ---- whole Jacobian and gradient ----

    @Override
    public void jacobianRows(Network<A>.Backprop bp, double[] dst, int base, int p, A hAug) {
        int o = bp.multiplicity;
        int rows = bp.rows();
        int wa = weights.augmentedWidth();
        A delta = bp.delta();
        augment(bp.input(), rows, hAug);
        ar.pool.parallelFor(rows * o, (long) out * wa, (q0, q1) -> {
            for (int q = q0; q < q1; q++) {
                int r = q / o;
                long rowStart = (long) (base + q) * p;
                for (int i = 0; i < out; i++) {
                    double d = ar.get(delta, q * out + i);
                    ar.scaleToDouble(dst, (int) (rowStart + weights.wOff + (long) i * in), hAug, r * wa, in, d);
                    if (weights.bias) {
                        dst[(int) (rowStart + weights.bOff + i)] = ar.round(d * ar.get(hAug, r * wa + in));
                    }
                }
            }
        });
    }

    /** ∂/∂W = c·δᵀ·h in row blocks of {@code blockRows} (through tmp), ∂/∂b_i = s·Σ_r δ_{r,i}. */
    @Override
    public void gradient(Network<A>.Backprop bp, double[] grad, A tmp, int blockRows) {
        int rows = bp.rows();
        A g = bp.delta();
        A h = bp.input();
        for (int i0 = 0; i0 < out; i0 += blockRows) {
            int ti = Math.min(blockRows, out - i0);
            ar.gemmAtB(ti, in, rows, weights.c, g, i0, out, h, 0, in, 0.0, tmp, 0, in);
            int dst = weights.wOff + i0 * in;
            ar.pool.parallelFor(ti, in, (q0, q1) -> ar.accumulate(grad, dst + q0 * in, tmp, q0 * in, (q1 - q0) * in));
        }
        if (weights.bias) {
            for (int i = 0; i < out; i++) {
                double sum = 0;
                for (int r = 0; r < rows; r++) {
                    sum += ar.get(g, r * out + i);
                }
                grad[weights.bOff + i] += weights.s * sum;
            }
        }
    }
}

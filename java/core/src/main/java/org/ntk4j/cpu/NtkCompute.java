package org.ntk4j.cpu;

import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.tiling.TilePlan;

/**
 * The two NTK algorithms, written once for both precisions, over blocks of examples (x1 chunk I, x2 chunk J; for
 * Θ(x, x) only blocks with I ≤ J, the diagonal ones by symmetric rank-k updates). Within a block both chunks are
 * backpropagated in lockstep, one layer at a time from the top, so only one layer's δ per chunk is alive.
 *
 * <p>Each layer with parameters adds its own term ({@link CpuLayer#structuredTerm}, {@link CpuLayer#jacobianTerm}):
 * <b>structured</b> terms come from Gram products of the layer's inputs and of its output δs, never from J;
 * <b>Jacobian contraction</b> writes the layer's Jacobian columns for both chunks of examples in chunks of at most
 * {@code parameterChunk} columns, forms their Gram product in the working precision ({@link Block#contractJacobianChunk})
 * and adds it to the fp64 accumulator. So J never exists whole, and fp32 rounding error grows with the chunk, not
 * with P. When the planner finds that the whole J fits half the budget ({@link ChunkPlan#materialised}), each
 * example's J is formed once instead and contracted in the same column chunks: no chunk is backpropagated twice.
 */
final class NtkCompute<A> {
    private final Network<A> net;
    private final Arith<A> ar;
    private final CpuProfile.Timer timer;

    NtkCompute(Network<A> net, CpuProfile.Timer timer) {
        this.net = net;
        this.ar = net.ar;
        this.timer = timer;
    }

    Tensor compute(Matrix x1, Matrix x2, boolean symmetric, NtkMode mode, boolean structured, ChunkPlan plan) {
        return accumulate(x1, x2, symmetric, mode, structured, plan, mode != NtkMode.FULL).finish(ar);
    }

    /** The FULL kernel in matrix layout, (N1·O)×(N2·O), as the Gram products leave it (no reordering). */
    Matrix computeMatrix(Matrix x1, Matrix x2, boolean symmetric, boolean structured, ChunkPlan plan) {
        return accumulate(x1, x2, symmetric, NtkMode.FULL, structured, plan, false).finishMatrix(ar);
    }

    /** @param byTile whether the sum is rounded into the result tile by tile (TRACE, DIAGONAL: {@link KernelSum#byTile}) */
    private KernelSum accumulate(Matrix x1, Matrix x2, boolean symmetric, NtkMode mode, boolean structured,
                                 ChunkPlan plan, boolean byTile) {
        int n1 = x1.rows();
        int n2 = x2.rows();
        int o = net.outputs;
        // materialised: the whole kernel is one tile, contracted at once
        TilePlan tiles = TilePlan.of(n1, n2, plan.materialised() ? Math.max(1, Math.max(n1, n2)) : plan.exampleChunk(),
                symmetric);
        KernelSum sum = byTile ? KernelSum.byTile(mode, o, tiles, ar.precision())
                : new KernelSum(mode, n1, n2, o, symmetric);
        int b = plan.exampleChunk();
        timer.exampleChunk = b;
        timer.parameterChunk = structured ? 0 : plan.parameterChunk();
        if (plan.materialised()) {
            TilePlan.Tile whole = tiles.row(0).get(0);
            sum.startTile(whole);
            materialised(x1, x2, symmetric, mode, plan, sum);
            sum.endTile(ar.pool);
            return sum;
        }
        Network<A>.Acts actsI = net.newActs(Math.min(b, n1));
        Network<A>.Acts actsJ = symmetric && b >= n1 ? actsI : net.newActs(Math.min(b, n2));
        Network<A>.Backprop bpI = net.newBackprop(actsI);
        Network<A>.Backprop bpJ = actsJ == actsI ? bpI : net.newBackprop(actsJ);
        Block blk = new Block(sum, structured, mode, Math.min(b, Math.max(n1, n2)), plan.parameterChunk(),
                !symmetric || b < n1);
        for (int i = 0; i < tiles.blocks1(); i++) {
            long t = System.nanoTime();
            net.forward(x1, tiles.rowStart(i), tiles.rowEnd(i), actsI);
            timer.forward += System.nanoTime() - t;
            for (TilePlan.Tile tile : tiles.row(i)) {
                boolean diagonal = tile.diagonal();
                if (!diagonal) {
                    t = System.nanoTime();
                    net.forward(x2, tile.col0(), tile.colEnd(), actsJ);
                    timer.forward += System.nanoTime() - t;
                }
                sum.startTile(tile);
                blk.run(tile.row0(), tile.col0(), actsI, diagonal ? actsI : actsJ, bpI, diagonal ? bpI : bpJ,
                        diagonal);
                sum.endTile(ar.pool);
                timer.blocks++;
            }
        }
        return sum;
    }

    /**
     * The materialised Jacobian contraction: J of each side ((N·O) × P, rows (r, a)) filled once, a chunk of examples
     * at a time, then contracted as one block in column chunks.
     */
    private void materialised(Matrix x1, Matrix x2, boolean symmetric, NtkMode mode, ChunkPlan plan, KernelSum sum) {
        int p = net.jacobianColumns();
        int n = Math.max(x1.rows(), x2.rows());
        Block blk = new Block(sum, false, mode, n, p, !symmetric);
        Network<A>.Acts acts = net.newActs(Math.min(plan.exampleChunk(), n));
        Network<A>.Backprop bp = net.newBackprop(acts);
        fillJacobian(x1, acts, bp, blk.jacobianI, blk.scratchI, p);
        if (!symmetric) {
            fillJacobian(x2, acts, bp, blk.jacobianJ, blk.scratchI, p);
        }
        blk.whole(x1.rows(), x2.rows(), symmetric);
        for (int c0 = 0; c0 < p; c0 += plan.parameterChunk()) {
            blk.contractColumns(c0, Math.min(plan.parameterChunk(), p - c0), p);
        }
        timer.blocks++;
    }

    /** Every row (r, a) of x's Jacobian into jac (row length p), each layer's columns after the previous layer's. */
    private void fillJacobian(Matrix x, Network<A>.Acts acts, Network<A>.Backprop bp, A jac, A scratch, int p) {
        int o = net.outputs;
        for (int r0 = 0; r0 < x.rows(); r0 += acts.capacity) {
            int r1 = Math.min(x.rows(), r0 + acts.capacity);
            int[] col = {r0 * o * p};
            net.walk(x, r0, r1, acts, bp, timer, layer -> {
                layer.jacobianColumns(bp, jac, col[0], p, scratch);
                col[0] += layer.jacobianColumns();
            });
        }
    }

    /**
     * Scratch of one block computation, reused across blocks, and the operations the layers' terms share: the Gram
     * products (upper triangle on diagonal blocks) and their accumulation into the fp64 sum at the block's place.
     */
    final class Block {
        private final KernelSum sum;
        private final boolean structured;
        private final NtkMode mode;
        private final int o;
        private final int pc;
        private final int capacity;
        /** Structured: a Gram of inputs (B × B) and its fp64 factor F. */
        final A hg;
        final double[] f;
        /** The Gram product of δs or Jacobian chunks, B × B or, FULL, (B·O) × (B·O). */
        final A g;
        /** Jacobian contraction: a row of {@link CpuLayer#jacobianScratchWidth()} per example, per side. */
        final A scratchI;
        final A scratchJ;
        /** Jacobian contraction: the chunk of Jacobian columns, B × (O·parameterChunk), per side. */
        final A jacobianI;
        final A jacobianJ;
        /** TRACE: the last dense layer's v ({@link CpuDense#topTraceScale}) and the buffers for φ' ⊙ v. */
        private CpuDense<A> top;
        private double[] topScale;
        private A topBufI;
        private A topBufJ;
        private int i0;
        private int j0;
        private int bI;
        private int bJ;
        private boolean diagonal;

        /** @param crossBlocks whether any block pairs two different chunks (then J's side needs its own buffers) */
        Block(KernelSum sum, boolean structured, NtkMode mode, int b, int pc, boolean crossBlocks) {
            this.sum = sum;
            this.structured = structured;
            this.mode = mode;
            this.o = net.outputs;
            this.pc = pc;
            this.capacity = b;
            int gSide = mode == NtkMode.FULL ? b * o : b;
            this.g = ar.matrix(gSide, gSide);
            if (structured) {
                hg = ar.matrix(b, b);
                f = new double[b * b];
                scratchI = scratchJ = jacobianI = jacobianJ = null;
            } else {
                hg = null;
                f = null;
                int wa = net.maxJacobianScratchWidth();
                scratchI = ar.matrix(b, wa);
                scratchJ = crossBlocks ? ar.matrix(b, wa) : null;
                // viewed as b × (O·pc) in TRACE and DIAGONAL mode
                jacobianI = ar.matrix(b, o * pc);
                jacobianJ = crossBlocks ? ar.matrix(b, o * pc) : null;
            }
        }

        void run(int i0, int j0, Network<A>.Acts aI, Network<A>.Acts aJ, Network<A>.Backprop bpI,
                 Network<A>.Backprop bpJ, boolean diagonal) {
            this.i0 = i0;
            this.j0 = j0;
            this.bI = aI.rows;
            this.bJ = aJ.rows;
            this.diagonal = diagonal;
            long t = System.nanoTime();
            bpI.start();
            if (!diagonal) {
                bpJ.start();
            }
            timer.backward += System.nanoTime() - t;
            do {
                CpuLayer<A> layer = net.layers.get(bpI.layer());
                if (layer.hasParameters()) {
                    if (structured) {
                        layer.structuredTerm(this, bpI, bpJ);
                    } else {
                        layer.jacobianTerm(this, bpI, bpJ);
                    }
                }
                t = System.nanoTime();
                boolean more = bpI.advance();
                if (!diagonal) {
                    bpJ.advance();
                }
                timer.backward += System.nanoTime() - t;
                if (!more) {
                    break;
                }
            } while (true);
        }

        NtkMode mode() {
            return mode;
        }

        /** O. */
        int outputs() {
            return o;
        }

        /** Examples of the x1 chunk. */
        int rowsI() {
            return bI;
        }

        /** Examples of the x2 chunk. */
        int rowsJ() {
            return bJ;
        }

        /** Whether both chunks are the same (only the upper triangle is formed). */
        boolean diagonal() {
            return diagonal;
        }

        /** The largest number of Jacobian columns per chunk. */
        int parameterChunk() {
            return pc;
        }

        CpuProfile.Timer timer() {
            return timer;
        }

        /** The accumulator's offset of this block in slice a (DIAGONAL; 0 for the other modes). */
        int sliceBase(int a) {
            return sum.base(a, i0, j0);
        }

        /** v of the last dense layer, computed once per call. */
        double[] topScale(CpuDense<A> layer) {
            if (top != layer) {
                top = layer;
                topScale = layer.topTraceScale();
            }
            return topScale;
        }

        /** A chunk-sized buffer of {@code width} per example for x1's side (true) or x2's. */
        A topBuffer(boolean sideI, int width) {
            if (sideI) {
                if (topBufI == null) {
                    topBufI = ar.matrix(capacity, width);
                }
                return topBufI;
            }
            if (topBufJ == null) {
                topBufJ = ar.matrix(capacity, width);
            }
            return topBufJ;
        }

        /** acc[base + r·rowLength + col] += F[r, col]·G[r, col] (upper part only on diagonal blocks). */
        void accumulateScaled(int base, int bI, int bJ) {
            int rowLength = sum.rowLength();
            boolean diag = diagonal;
            ar.pool.parallelFor(bI, bJ, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    int start = diag ? r : 0;
                    ar.accumulateProduct(sum.acc, base + r * rowLength + start, f, r * bJ + start, g, r * bJ + start,
                            bJ - start);
                }
            });
        }

        /** FULL: acc[(n,a), (m,b)] += F[n, m]·G[(n,a), (m,b)], F expanded along b per row. */
        void accumulateFull(int bI, int bJ) {
            int rowLength = sum.rowLength();
            int cols = bJ * o;
            boolean diag = diagonal;
            ar.pool.parallelFor(bI, (long) o * cols, (r0, r1) -> {
                double[] fx = new double[cols];
                for (int r = r0; r < r1; r++) {
                    for (int col = diag ? r : 0; col < bJ; col++) {
                        java.util.Arrays.fill(fx, col * o, col * o + o, f[r * bJ + col]);
                    }
                    for (int a = 0; a < o; a++) {
                        int row = r * o + a;
                        int start = diag ? row : 0;
                        ar.accumulateProduct(sum.acc, ((i0 + r) * o + a) * rowLength + j0 * o + start, fx, start, g,
                                row * cols + start, cols - start);
                    }
                }
            });
        }

        /**
         * Adds one pair's O × O block G[a, b] = Θ_ab(x_n, x'_m) (n, m in the block's chunks) in the mode's layout:
         * all of it (FULL), its diagonal (DIAGONAL) or the diagonal's sum (TRACE).
         */
        void accumulatePair(int n, int m, A pair) {
            int rowLength = sum.rowLength();
            switch (mode) {
                case TRACE -> {
                    double t = 0;
                    for (int a = 0; a < o; a++) {
                        t += ar.get(pair, a * o + a);
                    }
                    sum.acc[sliceBase(0) + n * rowLength + m] += t;
                }
                case DIAGONAL -> {
                    for (int a = 0; a < o; a++) {
                        sum.acc[sliceBase(a) + n * rowLength + m] += ar.get(pair, a * o + a);
                    }
                }
                default -> {
                    for (int a = 0; a < o; a++) {
                        int row = ((i0 + n) * o + a) * rowLength + (j0 + m) * o;
                        for (int b = 0; b < o; b++) {
                            sum.acc[row + b] += ar.get(pair, a * o + b);
                        }
                    }
                }
            }
        }

        /** Makes this block the whole kernel: all n1 × n2 examples at (0, 0). */
        void whole(int n1, int n2, boolean symmetric) {
            this.i0 = 0;
            this.j0 = 0;
            this.bI = n1;
            this.bJ = n2;
            this.diagonal = symmetric;
        }

        /**
         * Adds the Gram product of columns [c0, c0 + cols) of materialised Jacobians {@link #jacobianI},
         * {@link #jacobianJ} (rows (r, a) of {@code ld} values) in the mode's contraction.
         */
        void contractColumns(int c0, int cols, int ld) {
            A jI = jacobianI;
            A jB = diagonal ? jacobianI : jacobianJ;
            long t;
            if (mode == NtkMode.FULL) {
                t = System.nanoTime();
                product(bI * o, bJ * o, cols, jI, c0, jB, c0, ld, g, bJ * o);
                timer.gram += System.nanoTime() - t;
                t = System.nanoTime();
                accumulate(0, bI * o, bJ * o);
                timer.accumulate += System.nanoTime() - t;
            } else {
                for (int a = 0; a < o; a++) {
                    t = System.nanoTime();
                    product(bI, bJ, cols, jI, a * ld + c0, jB, a * ld + c0, o * ld, g, bJ);
                    timer.gram += System.nanoTime() - t;
                    t = System.nanoTime();
                    accumulate(sliceBase(mode == NtkMode.TRACE ? 0 : a), bI, bJ);
                    timer.accumulate += System.nanoTime() - t;
                }
            }
            timer.parameterChunks++;
        }

        /**
         * Adds the Gram product of the Jacobian chunks {@link #jacobianI}, {@link #jacobianJ} ({@code cols} columns
         * per (example, output) row, rows (r, a)) in the mode's contraction.
         */
        void contractJacobianChunk(int cols) {
            A jI = jacobianI;
            A jB = diagonal ? jacobianI : jacobianJ;
            long t;
            switch (mode) {
                case TRACE -> {
                    t = System.nanoTime();
                    product(bI, bJ, o * cols, jI, 0, jB, 0, o * cols, g, bJ);
                    timer.gram += System.nanoTime() - t;
                    t = System.nanoTime();
                    accumulate(sliceBase(0), bI, bJ);
                    timer.accumulate += System.nanoTime() - t;
                }
                case DIAGONAL -> {
                    for (int a = 0; a < o; a++) {
                        t = System.nanoTime();
                        product(bI, bJ, cols, jI, a * cols, jB, a * cols, o * cols, g, bJ);
                        timer.gram += System.nanoTime() - t;
                        t = System.nanoTime();
                        accumulate(sliceBase(a), bI, bJ);
                        timer.accumulate += System.nanoTime() - t;
                    }
                }
                default -> {
                    t = System.nanoTime();
                    product(bI * o, bJ * o, cols, jI, 0, jB, 0, cols, g, bJ * o);
                    timer.gram += System.nanoTime() - t;
                    t = System.nanoTime();
                    accumulate((i0 * o) * sum.rowLength() + j0 * o, bI * o, bJ * o);
                    timer.accumulate += System.nanoTime() - t;
                }
            }
            if (i0 == 0 && j0 == 0) {
                timer.parameterChunks++;
            }
        }

        /** acc[base + r·rowLength + col] += G[r, col] over a rows × cols block (upper part on diagonal blocks). */
        private void accumulate(int base, int rows, int cols) {
            int rowLength = sum.rowLength();
            boolean diag = diagonal;
            ar.pool.parallelFor(rows, cols, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    int start = diag ? r : 0;
                    ar.accumulate(sum.acc, base + r * rowLength + start, g, r * cols + start, cols - start);
                }
            });
        }

        /** Upper triangle of A·Aᵀ on diagonal blocks, else A·Bᵀ; m × n result with leading dimension ldc. */
        void product(int m, int nn, int kk, A a, int aOff, A b, int bOff, int ld, A c, int ldc) {
            if (diagonal) {
                ar.gramUpper(m, kk, 1.0, a, aOff, ld, c, 0, ldc);
            } else {
                ar.gemmABt(m, nn, kk, 1.0, a, aOff, ld, b, bOff, ld, 0.0, c, 0, ldc);
            }
        }
    }
}

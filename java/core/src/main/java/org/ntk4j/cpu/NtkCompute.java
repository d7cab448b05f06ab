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
 * <p><b>Structured</b>: per layer l, F = c_l²·H_I·H_Jᵀ + s_l² (fp64) and the δ Gram G = Δ_I·Δ_Jᵀ with the
 * contraction the mode needs (FULL: rows (n, a) by n_{l+1}; TRACE: Δ viewed as N × (O·n_{l+1}), so the sum over a is
 * inside one GEMM; DIAGONAL: one Gram per a over a strided view); then Θ += F ⊙ G in fp64. In TRACE mode the last
 * hidden layer's δ needs no output dimension at all: δ^{L-1}_a = φ' ⊙ c·W^{L-1}_{a,:}, so its trace Gram is the
 * Gram of φ' ⊙ (c·‖W^{L-1}_{:,i}‖)_i over the width alone ({@link Network#topTraceScale}), O times cheaper.
 *
 * <p><b>Jacobian contraction</b>: per layer, the parameter block [W^l | b^l] is cut into chunks of at most
 * {@code parameterChunk} columns; for each chunk the Jacobian columns ∂f_a(x_n)/∂θ = δ^{l+1}_{a,i}·h̃_j are written
 * for both chunks of examples, their Gram product is formed in the working precision and added to the fp64
 * accumulator. So J never exists whole, and fp32 rounding error grows with the chunk, not with P.
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
        return accumulate(x1, x2, symmetric, mode, structured, plan).finish(ar);
    }

    /** The FULL kernel in matrix layout, (N1·O)×(N2·O), as the Gram products leave it (no reordering). */
    Matrix computeMatrix(Matrix x1, Matrix x2, boolean symmetric, boolean structured, ChunkPlan plan) {
        return accumulate(x1, x2, symmetric, NtkMode.FULL, structured, plan).finishMatrix(ar);
    }

    private KernelSum accumulate(Matrix x1, Matrix x2, boolean symmetric, NtkMode mode, boolean structured,
                                 ChunkPlan plan) {
        int n1 = x1.rows();
        int n2 = x2.rows();
        int o = net.outputs;
        KernelSum sum = new KernelSum(mode, n1, n2, o, symmetric);
        int b = plan.exampleChunk();
        timer.exampleChunk = b;
        timer.parameterChunk = structured ? 0 : plan.parameterChunk();
        Network<A>.Acts actsI = net.newActs(Math.min(b, n1));
        Network<A>.Acts actsJ = symmetric && b >= n1 ? actsI : net.newActs(Math.min(b, n2));
        Network<A>.Backprop bpI = net.newBackprop(actsI);
        Network<A>.Backprop bpJ = actsJ == actsI ? bpI : net.newBackprop(actsJ);
        Block blk = new Block(structured, mode, Math.min(b, Math.max(n1, n2)), plan.parameterChunk(),
                !symmetric || b < n1);
        TilePlan tiles = TilePlan.of(n1, n2, b, symmetric);
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
                blk.run(sum, tile.row0(), tile.col0(), actsI, diagonal ? actsI : actsJ, bpI, diagonal ? bpI : bpJ,
                        diagonal);
                timer.blocks++;
            }
        }
        return sum;
    }

    /** Scratch of one block computation, reused across blocks. */
    private final class Block {
        private final boolean structured;
        private final NtkMode mode;
        private final int o;
        private final int pc;
        private final A hg;
        private final double[] f;
        private final A g;
        private final A hAugI;
        private final A hAugJ;
        private final A jI;
        private final A jJ;
        /** TRACE, structured, L ≥ 2: v of Network.topTraceScale and the scratch for φ' ⊙ v. */
        private final double[] topScale;
        private final A uBufI;
        private A uBufJ;
        private final int uRows;

        /** @param crossBlocks whether any block pairs two different chunks (then J's side needs its own buffers) */
        Block(boolean structured, NtkMode mode, int b, int pc, boolean crossBlocks) {
            this.structured = structured;
            this.mode = mode;
            this.o = net.outputs;
            this.pc = pc;
            int gSide = mode == NtkMode.FULL ? b * o : b;
            this.g = ar.matrix(gSide, gSide);
            boolean top = structured && mode == NtkMode.TRACE && net.layers >= 2;
            this.topScale = top ? net.topTraceScale() : null;
            this.uRows = b;
            this.uBufI = top ? ar.matrix(b, net.n[net.layers - 1]) : null;
            if (structured) {
                hg = ar.matrix(b, b);
                f = new double[b * b];
                hAugI = hAugJ = jI = jJ = null;
            } else {
                hg = null;
                f = null;
                int wa = 0;
                for (int l = 0; l < net.layers; l++) {
                    wa = Math.max(wa, net.augmentedWidth(l));
                }
                hAugI = ar.matrix(b, wa);
                hAugJ = crossBlocks ? ar.matrix(b, wa) : null;
                // viewed as b × (O·pc) in TRACE and DIAGONAL mode
                jI = ar.matrix(b, o * pc);
                jJ = crossBlocks ? ar.matrix(b, o * pc) : null;
            }
        }

        void run(KernelSum sum, int i0, int j0, Network<A>.Acts aI, Network<A>.Acts aJ, Network<A>.Backprop bpI,
                 Network<A>.Backprop bpJ, boolean diagonal) {
            long t = System.nanoTime();
            bpI.start();
            if (!diagonal) {
                bpJ.start();
            }
            timer.backward += System.nanoTime() - t;
            do {
                if (structured) {
                    structuredLayer(sum, i0, j0, aI.rows, aJ.rows, bpI, bpJ, diagonal);
                } else {
                    jacobianLayer(sum, i0, j0, aI.rows, aJ.rows, bpI, bpJ, diagonal);
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

        // ---- structured ----

        private void structuredLayer(KernelSum sum, int i0, int j0, int bI, int bJ, Network<A>.Backprop bpI,
                                     Network<A>.Backprop bpJ, boolean diagonal) {
            int l = bpI.layer();
            int in = net.n[l];
            int width = net.n[l + 1];
            long t = System.nanoTime();
            product(diagonal, bI, bJ, in, bpI.h(), 0, bpJ.h(), 0, in, hg, bJ);
            double c2 = net.c[l] * net.c[l];
            double s2 = net.s[l] * net.s[l];
            for (int r = 0; r < bI; r++) {
                for (int col = diagonal ? r : 0; col < bJ; col++) {
                    f[r * bJ + col] = c2 * ar.get(hg, r * bJ + col) + s2;
                }
            }
            A dI = bpI.delta();
            A dJ = bpJ.delta();
            switch (mode) {
                case TRACE -> {
                    if (l == net.layers - 2) {
                        // the last hidden layer: Σ_a of its δ Gram is the Gram of φ' ⊙ v (Network.topTraceScale)
                        A uI = scaledPhiPrime(bpI, uBufI);
                        A uJ = diagonal ? uI : scaledPhiPrime(bpJ, uBufJ());
                        product(diagonal, bI, bJ, width, uI, 0, uJ, 0, width, g, bJ);
                    } else {
                        product(diagonal, bI, bJ, o * width, dI, 0, dJ, 0, o * width, g, bJ);
                    }
                    timer.gram += System.nanoTime() - t;
                    t = System.nanoTime();
                    accumulateScaled(sum, sum.slice(0) + i0 * sum.rowLength() + j0, bI, bJ, diagonal);
                }
                case DIAGONAL -> {
                    for (int a = 0; a < o; a++) {
                        long ta = System.nanoTime();
                        product(diagonal, bI, bJ, width, dI, a * width, dJ, a * width, o * width, g, bJ);
                        timer.gram += System.nanoTime() - ta;
                        ta = System.nanoTime();
                        accumulateScaled(sum, sum.slice(a) + i0 * sum.rowLength() + j0, bI, bJ, diagonal);
                        timer.accumulate += System.nanoTime() - ta;
                    }
                    return;
                }
                default -> {
                    product(diagonal, bI * o, bJ * o, width, dI, 0, dJ, 0, width, g, bJ * o);
                    timer.gram += System.nanoTime() - t;
                    t = System.nanoTime();
                    accumulateFull(sum, i0, j0, bI, bJ, diagonal);
                }
            }
            timer.accumulate += System.nanoTime() - t;
        }

        /** φ'(z^{L-1}) ⊙ v per row, into buf. */
        private A scaledPhiPrime(Network<A>.Backprop bp, A buf) {
            int width = net.n[net.layers - 1];
            A d = bp.phiPrime();
            ar.pool.parallelFor(bp.rows(), width, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    for (int i = 0; i < width; i++) {
                        ar.set(buf, r * width + i, ar.get(d, r * width + i) * topScale[i]);
                    }
                }
            });
            return buf;
        }

        private A uBufJ() {
            if (uBufJ == null) {
                uBufJ = ar.matrix(uRows, net.n[net.layers - 1]);
            }
            return uBufJ;
        }

        /** acc[base + r·rowLength + col] += F[r, col]·G[r, col] (upper part only on diagonal blocks). */
        private void accumulateScaled(KernelSum sum, int base, int bI, int bJ, boolean diagonal) {
            int rowLength = sum.rowLength();
            ar.pool.parallelFor(bI, bJ, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    int start = diagonal ? r : 0;
                    ar.accumulateProduct(sum.acc, base + r * rowLength + start, f, r * bJ + start, g, r * bJ + start,
                            bJ - start);
                }
            });
        }

        /** FULL: acc[(n,a), (m,b)] += F[n, m]·G[(n,a), (m,b)], F expanded along b per row. */
        private void accumulateFull(KernelSum sum, int i0, int j0, int bI, int bJ, boolean diagonal) {
            int rowLength = sum.rowLength();
            int cols = bJ * o;
            ar.pool.parallelFor(bI, (long) o * cols, (r0, r1) -> {
                double[] fx = new double[cols];
                for (int r = r0; r < r1; r++) {
                    for (int col = diagonal ? r : 0; col < bJ; col++) {
                        java.util.Arrays.fill(fx, col * o, col * o + o, f[r * bJ + col]);
                    }
                    for (int a = 0; a < o; a++) {
                        int row = r * o + a;
                        int start = diagonal ? row : 0;
                        ar.accumulateProduct(sum.acc, ((i0 + r) * o + a) * rowLength + j0 * o + start, fx, start, g,
                                row * cols + start, cols - start);
                    }
                }
            });
        }

        // ---- Jacobian contraction ----

        private void jacobianLayer(KernelSum sum, int i0, int j0, int bI, int bJ, Network<A>.Backprop bpI,
                                   Network<A>.Backprop bpJ, boolean diagonal) {
            int l = bpI.layer();
            int width = net.n[l + 1];
            int wa = net.augmentedWidth(l);
            long t = System.nanoTime();
            net.augment(l, bpI.h(), bI, hAugI);
            if (!diagonal) {
                net.augment(l, bpJ.h(), bJ, hAugJ);
            }
            timer.fill += System.nanoTime() - t;
            // chunks: whole rows i of [W^l | b^l] when a row fits, else column pieces of one row
            int rowsPerChunk = Math.max(1, pc / wa);
            int colsPerPiece = Math.min(wa, pc);
            for (int iStart = 0; iStart < width; iStart += rowsPerChunk) {
                int iEnd = Math.min(width, iStart + rowsPerChunk);
                for (int jStart = 0; jStart < wa; jStart += colsPerPiece) {
                    int jEnd = Math.min(wa, jStart + colsPerPiece);
                    int cols = (iEnd - iStart) * (jEnd - jStart);
                    t = System.nanoTime();
                    fill(jI, bpI.delta(), hAugI, bI, width, wa, iStart, iEnd, jStart, jEnd, cols);
                    if (!diagonal) {
                        fill(jJ, bpJ.delta(), hAugJ, bJ, width, wa, iStart, iEnd, jStart, jEnd, cols);
                    }
                    timer.fill += System.nanoTime() - t;
                    A jB = diagonal ? jI : jJ;
                    switch (mode) {
                        case TRACE -> {
                            t = System.nanoTime();
                            product(diagonal, bI, bJ, o * cols, jI, 0, jB, 0, o * cols, g, bJ);
                            timer.gram += System.nanoTime() - t;
                            t = System.nanoTime();
                            accumulate(sum, sum.slice(0) + i0 * sum.rowLength() + j0, bI, bJ, diagonal);
                            timer.accumulate += System.nanoTime() - t;
                        }
                        case DIAGONAL -> {
                            for (int a = 0; a < o; a++) {
                                t = System.nanoTime();
                                product(diagonal, bI, bJ, cols, jI, a * cols, jB, a * cols, o * cols, g, bJ);
                                timer.gram += System.nanoTime() - t;
                                t = System.nanoTime();
                                accumulate(sum, sum.slice(a) + i0 * sum.rowLength() + j0, bI, bJ, diagonal);
                                timer.accumulate += System.nanoTime() - t;
                            }
                        }
                        default -> {
                            t = System.nanoTime();
                            product(diagonal, bI * o, bJ * o, cols, jI, 0, jB, 0, cols, g, bJ * o);
                            timer.gram += System.nanoTime() - t;
                            t = System.nanoTime();
                            accumulate(sum, (i0 * o) * sum.rowLength() + j0 * o, bI * o, bJ * o, diagonal);
                            timer.accumulate += System.nanoTime() - t;
                        }
                    }
                    if (i0 == 0 && j0 == 0) {
                        timer.parameterChunks++;
                    }
                }
            }
        }

        /**
         * Jacobian columns of rows [iStart, iEnd) × augmented columns [jStart, jEnd) of layer l's parameter block:
         * J[(r, a), (i − iStart)·w + (j − jStart)] = δ_{(r,a), i}·h̃_{r, j}, row length {@code cols}.
         */
        private void fill(A jac, A delta, A hAug, int rows, int width, int wa, int iStart, int iEnd, int jStart,
                          int jEnd, int cols) {
            int w = jEnd - jStart;
            ar.pool.parallelFor(rows * o, cols, (q0, q1) -> {
                for (int q = q0; q < q1; q++) {
                    int r = q / o;
                    int base = q * cols;
                    for (int i = iStart; i < iEnd; i++) {
                        ar.scale(jac, base + (i - iStart) * w, hAug, r * wa + jStart, w, ar.get(delta, q * width + i));
                    }
                }
            });
        }

        /** acc[base + r·rowLength + col] += G[r, col] over a rows × cols block (upper part on diagonal blocks). */
        private void accumulate(KernelSum sum, int base, int rows, int cols, boolean diagonal) {
            int rowLength = sum.rowLength();
            ar.pool.parallelFor(rows, cols, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    int start = diagonal ? r : 0;
                    ar.accumulate(sum.acc, base + r * rowLength + start, g, r * cols + start, cols - start);
                }
            });
        }

        /** Upper triangle of A·Aᵀ on diagonal blocks, else A·Bᵀ; m × n result with leading dimension ldc. */
        private void product(boolean diagonal, int m, int nn, int kk, A a, int aOff, A b, int bOff, int ld, A c,
                             int ldc) {
            if (diagonal) {
                ar.gramUpper(m, kk, 1.0, a, aOff, ld, c, 0, ldc);
            } else {
                ar.gemmABt(m, nn, kk, 1.0, a, aOff, ld, b, bOff, ld, 0.0, c, 0, ldc);
            }
        }
    }
}

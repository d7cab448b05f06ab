package org.ntk4j.cpu;

import org.ntk4j.KernelLayout;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.internal.KernelArrays;

/**
 * The fp64 accumulator of an NTK in "Gram layout", the layout the Gram products come out in, and its conversion to
 * the result:
 * <ul>
 *   <li>FULL: (N1·O) × (N2·O), row n·O + a, column m·O + b;</li>
 *   <li>TRACE: N1 × N2 (Σ_a, divided by O at the end);</li>
 *   <li>DIAGONAL: O slices of N1 × N2.</li>
 * </ul>
 * For Θ(x, x) only the upper triangle (row ≤ column of each square slice) is accumulated and then mirrored, so the
 * result is exactly symmetric.
 */
final class KernelSum {
    final NtkMode mode;
    final int n1;
    final int n2;
    final int o;
    final boolean symmetric;
    final double[] acc;

    KernelSum(NtkMode mode, int n1, int n2, int o, boolean symmetric) {
        this.mode = mode;
        this.n1 = n1;
        this.n2 = n2;
        this.o = o;
        this.symmetric = symmetric;
        this.acc = new double[Arith.checkedSize((long) n1 * n2 * mode.valuesPerPair(o))];
    }

    /** Row length of the accumulator (FULL: N2·O, else N2). */
    int rowLength() {
        return mode == NtkMode.FULL ? n2 * o : n2;
    }

    /** Offset of slice a (DIAGONAL) — 0 for the other modes. */
    int slice(int a) {
        return mode == NtkMode.DIAGONAL ? a * n1 * n2 : 0;
    }

    /** Copies the upper triangle of a side × side matrix onto the lower, rows spread over the pool. */
    static void mirror(double[] a, int base, int side, Pool pool) {
        // KernelLayout walks in cache-sized blocks; disjoint row ranges write disjoint entries.
        pool.parallelFor(side, side / 2 + 1, (r0, r1) -> KernelArrays.mirrorUpperRows(a, base, side, r0, r1));
    }

    /**
     * Mirrors (symmetric case), divides (trace), reorders to the mode's shape and rounds each value; an fp32 kernel
     * comes back in float32 storage (half the memory of the fp64 accumulator it is rounded from).
     */
    Tensor finish(Arith<?> ar) {
        Pool pool = ar.pool;
        int side = mode == NtkMode.FULL ? n1 * o : n1;
        int slices = mode == NtkMode.DIAGONAL ? o : 1;
        if (symmetric) {
            for (int q = 0; q < slices; q++) {
                mirror(acc, q * side * side, side, pool);
            }
        }
        int[] shape = mode.shape(n1, n2, o);
        if (ar.precision() == Precision.FP64) {
            double[] out = mode == NtkMode.TRACE ? acc : new double[acc.length];
            reorder(pool, (i, v) -> out[i] = v);
            return new Tensor(shape, out);
        }
        float[] out = new float[acc.length];
        reorder(pool, (i, v) -> out[i] = (float) v);
        return new Tensor(shape, out);
    }

    /** Where {@link #reorder} puts each value: index i of the result in the mode's layout. */
    @FunctionalInterface
    private interface Sink {
        void put(int i, double value);
    }

    /**
     * Every value of the accumulator, divided by O in trace mode, handed to {@code sink} at its index in the mode's
     * layout; in trace mode the index is its own, so the sink may write over the accumulator.
     */
    private void reorder(Pool pool, Sink sink) {
        switch (mode) {
            case TRACE -> pool.parallelFor(n1, n2, (r0, r1) -> {
                for (int i = r0 * n2; i < r1 * n2; i++) {
                    sink.put(i, acc[i] / o);
                }
            });
            case DIAGONAL -> {
                int pairs = n1 * n2;
                pool.parallelFor(pairs, o, (p0, p1) -> {
                    for (int p = p0; p < p1; p++) {
                        for (int a = 0; a < o; a++) {
                            sink.put(p * o + a, acc[a * pairs + p]);
                        }
                    }
                });
            }
            default -> {
                int cols = n2 * o;
                pool.parallelFor(n1, (long) n2 * o * o, (r0, r1) -> {
                    for (int n = r0; n < r1; n++) {
                        for (int a = 0; a < o; a++) {
                            int row = (n * o + a) * cols;
                            for (int m = 0; m < n2; m++) {
                                for (int b = 0; b < o; b++) {
                                    sink.put(((n * n2 + m) * o + a) * o + b, acc[row + m * o + b]);
                                }
                            }
                        }
                    }
                });
            }
        }
    }

    /**
     * A FULL accumulator as the kernel in matrix layout, (N1·O)×(N2·O): mirrored (symmetric case) and rounded in
     * place, never reordered (the layout the Gram products come out in is the matrix layout).
     */
    Matrix finishMatrix(Arith<?> ar) {
        if (mode != NtkMode.FULL) {
            throw new IllegalStateException("a kernel matrix is a FULL kernel, this one is " + mode);
        }
        if (symmetric) {
            mirror(acc, 0, n1 * o, ar.pool);
        }
        roundInPlace(ar);
        return new Matrix(n1 * o, n2 * o, acc);
    }

    private void roundInPlace(Arith<?> ar) {
        int cols = n2 * o;
        ar.pool.parallelFor(n1 * o, cols, (r0, r1) -> {
            for (int i = r0 * cols; i < r1 * cols; i++) {
                acc[i] = ar.round(acc[i]);
            }
        });
    }
}

package org.ntk4j.cpu;

import org.ntk4j.KernelLayout;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.internal.KernelArrays;
import org.ntk4j.tiling.TilePlacer;
import org.ntk4j.tiling.TilePlan;

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
 *
 * <p>TRACE and DIAGONAL kernels are accumulated one tile at a time ({@link #byTile}): the accumulator holds the
 * tile being computed (every layer's terms of its pairs), which {@link #endTile} rounds into the result, in the
 * precision's storage, as soon as it is complete. The fp64 sum of the whole kernel never exists: an fp32 trace kernel
 * peaks at its float32 result plus one tile, not at the fp64 accumulator plus the result. FULL kernels (and the
 * kernel matrix) keep one accumulator of the whole kernel ({@link #KernelSum(NtkMode, int, int, int, boolean)}),
 * whose layout differs from the result's.
 */
final class KernelSum {
    final NtkMode mode;
    final int n1;
    final int n2;
    final int o;
    final boolean symmetric;
    /** The whole kernel's sums, or ({@link #byTile}) those of the current tile, rows of {@link #rowLength()}. */
    final double[] acc;
    /** By tile: the result (pair layout, the precision's storage), the placer into it and the current tile. */
    private final Tensor result;
    private final TilePlacer<RuntimeException> placer;
    /** By tile: the current tile in the result's layout and storage, as large as the largest tile. */
    private final Tensor tileBuffer;
    private TilePlan.Tile tile;

    KernelSum(NtkMode mode, int n1, int n2, int o, boolean symmetric) {
        this(mode, n1, n2, o, symmetric, (long) n1 * n2, null, null);
    }

    private KernelSum(NtkMode mode, int n1, int n2, int o, boolean symmetric, long pairs, Tensor result,
                      TilePlan plan) {
        this.mode = mode;
        this.n1 = n1;
        this.n2 = n2;
        this.o = o;
        this.symmetric = symmetric;
        this.acc = new double[Arith.checkedSize(pairs * mode.valuesPerPair(o))];
        this.result = result;
        this.placer = plan == null ? null : new TilePlacer<>(plan, mode, o, TilePlacer.into(result));
        this.tileBuffer = plan == null ? null : Tensor.zeros(result.float32() ? Precision.FP32 : Precision.FP64,
                acc.length);
    }

    /**
     * A TRACE or DIAGONAL kernel accumulated tile by tile over {@code plan}'s tiles (each between
     * {@link #startTile} and {@link #endTile}), into a result in {@code precision}'s storage.
     */
    static KernelSum byTile(NtkMode mode, int o, TilePlan plan, Precision precision) {
        if (mode == NtkMode.FULL) {
            throw new IllegalArgumentException("a FULL kernel is accumulated whole (its Gram layout is not its layout)");
        }
        int[] shape = mode.shape(plan.n1(), plan.n2(), o);
        long largest = 0;
        for (TilePlan.Tile t : plan.tiles()) {
            largest = Math.max(largest, (long) t.rows() * t.cols());
        }
        return new KernelSum(mode, plan.n1(), plan.n2(), o, plan.symmetric(), largest,
                Tensor.zeros(precision, shape), plan);
    }

    /** Row length of the accumulator (FULL: N2·O; by tile: the current tile's columns; else N2). */
    int rowLength() {
        return tile != null ? tile.cols() : mode == NtkMode.FULL ? n2 * o : n2;
    }

    /** Where pair (i, j) of slice a (DIAGONAL; else 0) is in the accumulator (by tile: of the current tile). */
    int base(int a, int i, int j) {
        if (tile != null) {
            return (a * tile.rows() + i - tile.row0()) * tile.cols() + j - tile.col0();
        }
        return (mode == NtkMode.DIAGONAL ? a * n1 * n2 : 0) + i * rowLength() + j;
    }

    /** By tile: tile t is accumulated next, from zero. */
    void startTile(TilePlan.Tile t) {
        if (placer != null) {
            tile = t;
            java.util.Arrays.fill(acc, 0, t.rows() * t.cols() * mode.valuesPerPair(o), 0.0);
        }
    }

    /**
     * By tile: the current tile is complete. It is mirrored (a diagonal tile of Θ(x, x)), divided (trace), rounded
     * to the result's storage and placed in the result, with its transpose where it stands for one.
     */
    void endTile(Pool pool) {
        if (placer == null) {
            return;
        }
        TilePlan.Tile t = tile;
        int rows = t.rows();
        int cols = t.cols();
        int slices = mode == NtkMode.DIAGONAL ? o : 1;
        if (symmetric && t.diagonal()) {
            for (int q = 0; q < slices; q++) {
                mirror(acc, q * rows * cols, rows, pool);
            }
        }
        int v = mode.valuesPerPair(o);
        double scale = mode == NtkMode.TRACE ? o : 1;
        float[] f = result.float32() ? tileBuffer.floatData() : null;
        double[] d = result.float32() ? null : tileBuffer.data();
        pool.parallelFor(rows, (long) cols * v, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                for (int c = 0; c < cols; c++) {
                    for (int a = 0; a < slices; a++) {
                        double value = acc[(a * rows + r) * cols + c] / scale;
                        if (f != null) {
                            f[(r * cols + c) * v + a] = (float) value;
                        } else {
                            d[(r * cols + c) * v + a] = value;
                        }
                    }
                }
            }
        });
        placer.place(t, tileBuffer.slice(0, rows * cols * v));
        tile = null;
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
        if (placer != null) {
            return result; // every tile is in it already
        }
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

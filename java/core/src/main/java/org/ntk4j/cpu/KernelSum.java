package org.ntk4j.cpu;

import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;

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

    /** Copies the upper triangle of a side × side matrix onto the lower, in tiles (a column walk misses cache). */
    static void mirror(double[] a, int base, int side, Pool pool) {
        final int t = 64;
        int tiles = (side + t - 1) / t;
        // tile row i0 writes only columns [i0, i0 + t) of the lower triangle: tile rows are independent
        pool.parallelFor(tiles, (long) t * side / 2, (q0, q1) -> {
            for (int q = q0; q < q1; q++) {
                int i0 = q * t;
                int i1 = Math.min(side, i0 + t);
                for (int j0 = i0; j0 < side; j0 += t) {
                    int j1 = Math.min(side, j0 + t);
                    for (int i = i0; i < i1; i++) {
                        for (int j = Math.max(j0, i + 1); j < j1; j++) {
                            a[base + j * side + i] = a[base + i * side + j];
                        }
                    }
                }
            }
        });
    }

    /** Mirrors (symmetric case), divides (trace), reorders to the mode's shape and rounds each value. */
    Tensor finish(Arith<?> ar) {
        Pool pool = ar.pool;
        int side = mode == NtkMode.FULL ? n1 * o : n1;
        int slices = mode == NtkMode.DIAGONAL ? o : 1;
        if (symmetric) {
            for (int q = 0; q < slices; q++) {
                mirror(acc, q * side * side, side, pool);
            }
        }
        double[] out;
        switch (mode) {
            case TRACE -> {
                out = acc;
                double[] t = out;
                pool.parallelFor(n1, n2, (r0, r1) -> {
                    for (int i = r0 * n2; i < r1 * n2; i++) {
                        t[i] = ar.round(t[i] / o);
                    }
                });
            }
            case DIAGONAL -> {
                out = new double[acc.length];
                double[] t = out;
                int pairs = n1 * n2;
                pool.parallelFor(pairs, o, (p0, p1) -> {
                    for (int p = p0; p < p1; p++) {
                        for (int a = 0; a < o; a++) {
                            t[p * o + a] = ar.round(acc[a * pairs + p]);
                        }
                    }
                });
            }
            default -> {
                out = new double[acc.length];
                double[] t = out;
                pool.parallelFor(n1, (long) n2 * o * o, (r0, r1) -> {
                    for (int n = r0; n < r1; n++) {
                        for (int a = 0; a < o; a++) {
                            int src = (n * o + a) * n2 * o;
                            for (int m = 0; m < n2; m++) {
                                int dst = ((n * n2 + m) * o + a) * o;
                                for (int b = 0; b < o; b++) {
                                    t[dst + b] = ar.round(acc[src + m * o + b]);
                                }
                            }
                        }
                    }
                });
            }
        }
        return new Tensor(mode.shape(n1, n2, o), out);
    }
}

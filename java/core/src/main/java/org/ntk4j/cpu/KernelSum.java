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
    static void mirror(double[] a, int base, int side) {
        final int t = 64;
        for (int i0 = 0; i0 < side; i0 += t) {
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
    }

    /** Mirrors (symmetric case), divides (trace), reorders to the mode's shape and rounds each value. */
    Tensor finish(Arith<?> ar) {
        int side = mode == NtkMode.FULL ? n1 * o : n1;
        int slices = mode == NtkMode.DIAGONAL ? o : 1;
        if (symmetric) {
            for (int q = 0; q < slices; q++) {
                mirror(acc, q * side * side, side);
            }
        }
        double[] out;
        switch (mode) {
            case TRACE -> {
                out = acc;
                for (int i = 0; i < out.length; i++) {
                    out[i] = ar.round(out[i] / o);
                }
            }
            case DIAGONAL -> {
                out = new double[acc.length];
                int pairs = n1 * n2;
                for (int a = 0; a < o; a++) {
                    for (int p = 0; p < pairs; p++) {
                        out[p * o + a] = ar.round(acc[a * pairs + p]);
                    }
                }
            }
            default -> {
                out = new double[acc.length];
                for (int n = 0; n < n1; n++) {
                    for (int a = 0; a < o; a++) {
                        int src = (n * o + a) * n2 * o;
                        for (int m = 0; m < n2; m++) {
                            int dst = ((n * n2 + m) * o + a) * o;
                            for (int b = 0; b < o; b++) {
                                out[dst + b] = ar.round(acc[src + m * o + b]);
                            }
                        }
                    }
                }
            }
        }
        return new Tensor(mode.shape(n1, n2, o), out);
    }
}

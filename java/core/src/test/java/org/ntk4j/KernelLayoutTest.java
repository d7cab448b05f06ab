package org.ntk4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ntk4j.internal.KernelArrays;

/**
 * Every move of {@link KernelLayout} against the index formulas written out here independently, on odd sizes (one
 * side of a 64-wide mirror block too), O = 1 and O &gt; 1, with exact equality: a layout move copies values, it never
 * computes them. Values around each written region are guards that must stay untouched.
 */
class KernelLayoutTest {
    private static final int[] SIDES = {1, 2, 3, 7, 63, 64, 65, 131};
    private static final int[] OUTPUTS = {1, 2, 3, 5};
    private static final double GUARD = -7.25e300;

    private static double[] random(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = rng.nextDouble(-1, 1);
        }
        return a;
    }

    private static void assertGuards(double[] a, int from, int to, String what) {
        for (int i = 0; i < a.length; i++) {
            if (i < from || i >= to) {
                assertEquals(GUARD, a[i], what + ": value " + i + " outside the region was written");
            }
        }
    }

    @Test
    void mirrorUpperCopiesTheStrictUpperTriangleOntoTheLower() {
        for (int n : SIDES) {
            int offset = 5;
            double[] a = new double[offset + n * n + 3];
            java.util.Arrays.fill(a, GUARD);
            System.arraycopy(random(n * n, n), 0, a, offset, n * n);
            double[] before = a.clone();
            KernelArrays.mirrorUpper(a, offset, n);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double expected = j >= i ? before[offset + i * n + j] : before[offset + j * n + i];
                    assertEquals(expected, a[offset + i * n + j], "n=" + n + " (" + i + ", " + j + ")");
                }
            }
            assertGuards(a, offset, offset + n * n, "n=" + n);
        }
    }

    @Test
    void mirrorRowRangesTogetherEqualTheWholeMirror() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int n : SIDES) {
            double[] whole = random(n * n, 17 + n);
            double[] pieces = whole.clone();
            KernelArrays.mirrorUpper(whole, 0, n);
            // Uneven pieces in a shuffled order: each range writes only its own columns of the lower triangle.
            java.util.List<int[]> ranges = new java.util.ArrayList<>();
            for (int r0 = 0; r0 < n; ) {
                int r1 = Math.min(n, r0 + 1 + rng.nextInt(70));
                ranges.add(new int[] {r0, r1});
                r0 = r1;
            }
            java.util.Collections.shuffle(ranges, new java.util.Random(n));
            for (int[] r : ranges) {
                KernelArrays.mirrorUpperRows(pieces, 0, n, r[0], r[1]);
            }
            assertArrayEquals(whole, pieces, "n=" + n);
        }
    }

    @Test
    void mirrorUpperPairsCompletesASymmetricKernelInEveryMode() {
        for (NtkMode mode : NtkMode.values()) {
            for (int o : OUTPUTS) {
                for (int n : new int[] {1, 2, 5, 9}) {
                    int v = mode.valuesPerPair(o);
                    double[] k = random(n * n * v, 31L * n + o);
                    double[] before = k.clone();
                    KernelArrays.mirrorUpperPairs(k, n, mode, o);
                    String what = mode + " O=" + o + " n=" + n;
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            for (int q = 0; q < v; q++) {
                                double expected;
                                if (mode == NtkMode.FULL) {
                                    int a = q / o;
                                    int b = q % o;
                                    // Θ_ab(x_i, x_j) = Θ_ba(x_j, x_i); the upper pairs (and in a diagonal pair the
                                    // upper block entries) are the ones that were set.
                                    boolean upper = i < j || (i == j && a <= b);
                                    expected = upper ? before[(i * n + j) * v + q] : before[(j * n + i) * v + b * o + a];
                                } else {
                                    expected = i <= j ? before[(i * n + j) * v + q] : before[(j * n + i) * v + q];
                                }
                                assertEquals(expected, k[(i * n + j) * v + q], what + " pair (" + i + ", " + j + ") " + q);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void mirrorUpperPairsInFullModeIsTheMatrixMirror() {
        // The same symmetric kernel two ways: mirrored in pair layout, or reordered to matrix layout and mirrored there.
        for (int o : OUTPUTS) {
            for (int n : new int[] {1, 4, 7}) {
                double[] upper = random(n * n * o * o, 7L * n + o);
                double[] pairs = upper.clone();
                KernelArrays.mirrorUpperPairs(pairs, n, NtkMode.FULL, o);
                double[] matrix = new double[upper.length];
                KernelArrays.fullToMatrix(upper, n, n, o, matrix, 0, n);
                KernelArrays.mirrorUpper(matrix, 0, n * o);
                double[] back = new double[upper.length];
                KernelArrays.matrixToFull(matrix, n, n, o, back, 0, n);
                assertArrayEquals(pairs, back, "O=" + o + " n=" + n);
            }
        }
    }

    @Test
    void copyPairsMovesABlockAndNothingElse() {
        for (int v : new int[] {1, 3, 9}) {
            int srcCols = 11;
            int srcRows = 7;
            double[] src = random(srcRows * srcCols * v, v);
            int dstCols = 13;
            int dstRows = 9;
            double[] dst = new double[dstRows * dstCols * v];
            java.util.Arrays.fill(dst, GUARD);
            int rows = 5;
            int cols = 6;
            KernelArrays.copyPairs(src, srcCols, 2, 3, rows, cols, v, dst, dstCols, 1, 4);
            for (int r = 0; r < dstRows; r++) {
                for (int c = 0; c < dstCols; c++) {
                    boolean inside = r >= 1 && r < 1 + rows && c >= 4 && c < 4 + cols;
                    for (int q = 0; q < v; q++) {
                        double expected = inside ? src[((r - 1 + 2) * srcCols + c - 4 + 3) * v + q] : GUARD;
                        assertEquals(expected, dst[(r * dstCols + c) * v + q], "v=" + v + " (" + r + ", " + c + ")");
                    }
                }
            }
        }
    }

    @Test
    void transposePairsIsTheKernelOfTheSwappedInputs() {
        for (NtkMode mode : NtkMode.values()) {
            for (int o : OUTPUTS) {
                int v = mode.valuesPerPair(o);
                int srcRows = 7;
                int srcCols = 9;
                double[] src = random(srcRows * srcCols * v, 11L * o + mode.ordinal());
                int dstRows = 12;
                int dstCols = 10;
                double[] dst = new double[dstRows * dstCols * v];
                java.util.Arrays.fill(dst, GUARD);
                int rows = 5;   // source block rows → destination columns
                int cols = 7;   // source block columns → destination rows
                int sr0 = 1;
                int sc0 = 2;
                int dr0 = 3;
                int dc0 = 4;
                KernelArrays.transposePairs(flat(src), srcCols, sr0, sc0, rows, cols, mode, o, flat(dst), dstCols, dr0,
                        dc0);
                String what = mode + " O=" + o;
                for (int r = 0; r < dstRows; r++) {
                    for (int c = 0; c < dstCols; c++) {
                        boolean inside = r >= dr0 && r < dr0 + cols && c >= dc0 && c < dc0 + rows;
                        for (int q = 0; q < v; q++) {
                            double expected = GUARD;
                            if (inside) {
                                int from = ((sr0 + c - dc0) * srcCols + sc0 + r - dr0) * v;
                                expected = mode == NtkMode.FULL ? src[from + (q % o) * o + q / o] : src[from + q];
                            }
                            assertEquals(expected, dst[(r * dstCols + c) * v + q], what + " (" + r + ", " + c + ") " + q);
                        }
                    }
                }
                // float32 storage moves the same values, each the float it was (nothing widened, nothing rounded)
                float[] dstF = new float[dst.length];
                java.util.Arrays.fill(dstF, (float) GUARD);
                KernelArrays.transposePairs(flat(src).toPrecision(org.ntk4j.Precision.FP32), srcCols, sr0, sc0, rows,
                        cols, mode, o, new Tensor(new int[] {dstF.length}, dstF), dstCols, dr0, dc0);
                for (int i = 0; i < dst.length; i++) {
                    assertEquals((float) dst[i], dstF[i], what + " float32, value " + i);
                }
            }
        }
    }

    @Test
    void matrixAndPairLayoutsHoldTheSameEntries() {
        for (int o : OUTPUTS) {
            for (int n1 : new int[] {1, 3, 8}) {
                for (int n2 : new int[] {1, 5, 7}) {
                    double[] full = random(n1 * n2 * o * o, 100L * n1 + 10L * n2 + o);
                    double[] matrix = new double[full.length];
                    KernelArrays.fullToMatrix(full, n1, n2, o, matrix, 0, n1);
                    int cols = n2 * o;
                    for (int i = 0; i < n1; i++) {
                        for (int j = 0; j < n2; j++) {
                            for (int a = 0; a < o; a++) {
                                for (int b = 0; b < o; b++) {
                                    assertEquals(full[((i * n2 + j) * o + a) * o + b], matrix[(i * o + a) * cols + j * o + b],
                                            "O=" + o + " (" + i + ", " + j + ", " + a + ", " + b + ")");
                                }
                            }
                        }
                    }
                    double[] back = new double[full.length];
                    // In two row ranges, so the ranged form is exercised.
                    KernelArrays.matrixToFull(matrix, n1, n2, o, back, n1 / 2, n1);
                    KernelArrays.matrixToFull(matrix, n1, n2, o, back, 0, n1 / 2);
                    assertArrayEquals(full, back, "round trip O=" + o + " " + n1 + "×" + n2);
                    if (o == 1) {
                        assertArrayEquals(full, matrix, "with one output the layouts coincide");
                    }
                }
            }
        }
    }

    @Test
    void tensorAndMatrixConversionsKeepShapesAndValues() {
        Tensor full = new Tensor(new int[] {3, 4, 2, 2}, random(3 * 4 * 2 * 2, 5));
        Matrix m = KernelLayout.fullToMatrix(full);
        assertEquals(6, m.rows());
        assertEquals(8, m.cols());
        assertEquals(full.get(2, 1, 1, 0), m.get(2 * 2 + 1, 1 * 2 + 0));
        Tensor back = KernelLayout.matrixToFull(m, 2);
        assertEquals(full, back);
        assertTrue(back.data() != full.data(), "a new array");
    }

    @Test
    void badArgumentsAreNamedNotCrashed() {
        double[] a = new double[9];
        assertThrows(InvalidInputException.class, () -> KernelArrays.mirrorUpper(a, 1, 3));
        assertThrows(InvalidInputException.class, () -> KernelArrays.mirrorUpper(null, 0, 1));
        assertThrows(InvalidInputException.class, () -> KernelArrays.mirrorUpperRows(a, 0, 3, 2, 4));
        assertThrows(InvalidInputException.class, () -> KernelArrays.mirrorUpperPairs(a, 3, null, 1));
        assertThrows(InvalidInputException.class, () -> KernelArrays.mirrorUpperPairs(a, 3, NtkMode.FULL, 2));
        assertThrows(InvalidInputException.class, () -> KernelArrays.mirrorUpperPairs(a, 3, NtkMode.TRACE, 0));
        assertThrows(InvalidInputException.class,
                () -> KernelArrays.copyPairs(a, 3, 0, 1, 3, 3, 1, new double[9], 3, 0, 0));
        assertThrows(InvalidInputException.class,
                () -> KernelArrays.transposePairs(flat(a), 3, 0, 0, 3, 3, NtkMode.TRACE, 1, flat(new double[8]), 3, 0, 0));
        assertThrows(InvalidInputException.class, // a float32 source into a float64 destination
                () -> KernelArrays.transposePairs(flat(a).toPrecision(org.ntk4j.Precision.FP32), 3, 0, 0, 3, 3,
                        NtkMode.TRACE, 1, flat(new double[9]), 3, 0, 0));
        assertThrows(InvalidInputException.class, () -> KernelArrays.fullToMatrix(a, 2, 2, 2, new double[16], 0, 2));
        assertThrows(InvalidInputException.class,
                () -> KernelLayout.fullToMatrix(new Tensor(new int[] {3, 3}, new double[9])));
        assertThrows(InvalidInputException.class, () -> KernelLayout.matrixToFull(new Matrix(3, 4, new double[12]), 2));
    }

    private static Tensor flat(double[] values) {
        return new Tensor(new int[] {values.length}, values);
    }
}

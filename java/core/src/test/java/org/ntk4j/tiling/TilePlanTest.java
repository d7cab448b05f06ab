package org.ntk4j.tiling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ntk4j.InvalidInputException;
import org.ntk4j.NtkMode;

/**
 * The one tile plan: every entry of the kernel (of the upper triangle when symmetric) is covered by exactly one tile,
 * for symmetric and cross kernels, odd sizes, tiles larger than the kernel and N = 1; and its placer puts every value
 * of every tile where the whole kernel has it, the lower triangle included.
 */
class TilePlanTest {

    /** How often each (row, col) is covered by the plan's tiles; also checks the plan's own counts and order. */
    private static int[][] coverage(TilePlan p) {
        int[][] seen = new int[p.n1()][p.n2()];
        List<TilePlan.Tile> tiles = p.tiles();
        assertEquals(p.tileCount(), tiles.size(), "tileCount for " + p);
        List<TilePlan.Tile> rows = new ArrayList<>();
        for (int i = 0; i < p.blocks1(); i++) {
            rows.addAll(p.row(i));
        }
        assertEquals(tiles, rows, "tiles() is the rows, in order");
        TilePlan.Tile previous = null;
        for (TilePlan.Tile t : tiles) {
            assertTrue(previous == null || previous.compareTo(t) < 0, "row-major order");
            previous = t;
            assertEquals(t, p.tile(t.i(), t.j()));
            assertTrue(t.rows() >= 1 && t.cols() >= 1 && t.rows() <= p.rows() && t.cols() <= p.cols(), t.toString());
            assertEquals(p.rowStart(t.i()), t.row0());
            assertEquals(p.rowEnd(t.i()), t.rowEnd());
            assertEquals(p.colStart(t.j()), t.col0());
            assertEquals(p.colEnd(t.j()), t.colEnd());
            assertEquals(p.symmetric() && t.i() == t.j(), t.diagonal());
            assertEquals(p.symmetric() && t.i() != t.j(), t.mirrored());
            for (int r = t.row0(); r < t.rowEnd(); r++) {
                for (int c = t.col0(); c < t.colEnd(); c++) {
                    seen[r][c]++;
                }
            }
        }
        return seen;
    }

    private static void assertCoversOnce(TilePlan p) {
        int[][] seen = coverage(p);
        for (int r = 0; r < p.n1(); r++) {
            for (int c = 0; c < p.n2(); c++) {
                if (p.symmetric()) {
                    // (r, c) and (c, r) together: exactly one tile computes the pair, the diagonal block's own
                    // lower half included in it (a diagonal tile is whole)
                    int both = r == c ? seen[r][c] : seen[r][c] + seen[c][r];
                    int expect = r == c ? 1 : sameDiagonalBlock(p, r, c) ? 2 : 1;
                    assertEquals(expect, both, "pair (" + r + ", " + c + ") of " + p);
                } else {
                    assertEquals(1, seen[r][c], "entry (" + r + ", " + c + ") of " + p);
                }
            }
        }
    }

    private static boolean sameDiagonalBlock(TilePlan p, int r, int c) {
        return r / p.rows() == c / p.cols();
    }

    @Test
    void everyEntryIsCoveredExactlyOnceSymmetricAndCrossOddSizesLargeTilesAndOneExample() {
        int plans = 0;
        for (int n1 : new int[] {1, 2, 3, 7, 13, 64, 97}) {
            for (int n2 : new int[] {1, 5, 13, 97}) {
                for (long tile : new long[] {1, 2, 3, 8, 13, 50, 97, 98, 1L << 30, Long.MAX_VALUE}) {
                    assertCoversOnce(TilePlan.of(n1, n2, tile, false));
                    assertCoversOnce(TilePlan.of(n1, n2, tile, Math.max(1, tile / 3), false));
                    plans += 2;
                    if (n1 == n2) {
                        assertCoversOnce(TilePlan.of(n1, n1, tile, true));
                        plans++;
                    }
                }
            }
            assertCoversOnce(TilePlan.of(n1, n1, 5, true));
            plans++;
        }
        assertTrue(plans > 300, "plans checked: " + plans);
    }

    @Test
    void theUpperTriangleOfTilesIsComputedWithTheTilesOnTheDiagonalWhole() {
        TilePlan p = TilePlan.of(10, 10, 4, true);
        assertEquals(3, p.blocks1());
        assertEquals(6, p.tileCount(), "3·4/2");
        assertEquals(List.of(0, 1, 2), p.row(0).stream().map(TilePlan.Tile::j).toList());
        assertEquals(List.of(2), p.row(2).stream().map(TilePlan.Tile::j).toList());
        assertEquals(new TilePlan.Tile(2, 2, 8, 2, 8, 2, true), p.tile(2, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> p.tile(1, 0), "below the diagonal");
        assertThrows(IndexOutOfBoundsException.class, () -> p.tile(3, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> p.rowStart(-1));
    }

    @Test
    void tileSizesAnyLargeGiveNoNegativeOrWrappedPositions() {
        int n = Integer.MAX_VALUE;
        for (long tile : new long[] {1L << 30, Integer.MAX_VALUE, Integer.MAX_VALUE - 1L, 3L << 30, Long.MAX_VALUE}) {
            TilePlan p = TilePlan.of(n, n, tile, true);
            assertTrue(p.rows() >= 1 && p.rows() <= n, p.toString());
            int last = p.blocks1() - 1;
            assertTrue(p.blocks1() >= 1 && p.rowStart(last) >= 0 && p.rowEnd(last) == n, p.toString());
            assertTrue(p.tileCount() >= 1, p.toString());
        }
        TilePlan ones = TilePlan.of(n, n, 1, true);
        assertEquals((long) n * (n + 1L) / 2, ones.tileCount(), "about 2^61 tiles, in a long");
        assertEquals(n - 1, ones.rowStart(n - 1));
        assertEquals(((long) (n - 1) * n + (n - 1)) * 100, ones.offset(n - 1, n - 1, 100), "offsets in long");
        assertThrows(InvalidInputException.class, ones::tiles, "too many to list, said so");
    }

    @Test
    void badSizesAreRefusedNamingThem() {
        assertThrows(InvalidInputException.class, () -> TilePlan.of(0, 3, 2, false));
        assertThrows(InvalidInputException.class, () -> TilePlan.of(3, 3, 0, false));
        assertThrows(InvalidInputException.class, () -> TilePlan.of(3, 3, -1, true));
        assertThrows(InvalidInputException.class, () -> TilePlan.of(3, 4, 2, true), "symmetric is square");
        assertThrows(InvalidInputException.class, () -> TilePlan.of(4, 4, 2, 3, true), "with square tiles");
        assertThrows(InvalidInputException.class, () -> new TilePlan(3, 3, 4, 3, false), "a tile larger than its side");
    }

    /** The whole kernel of a symmetric function in pair layout: value (r, c, a, b) distinct for every entry. */
    private static double value(int r, int c, int a, int b, int o) {
        return ((r * 1000.0 + c) * o + a) * o + b;
    }

    /** Θ(r, c)_ab with Θ_ab(x_r, x_c) = Θ_ba(x_c, x_r), in a mode's layout. */
    private static double[] kernelBlock(int r0, int rows, int c0, int cols, NtkMode mode, int o) {
        int v = mode.valuesPerPair(o);
        double[] out = new double[rows * cols * v];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                for (int k = 0; k < v; k++) {
                    int a = mode == NtkMode.FULL ? k / o : k;
                    int b = mode == NtkMode.FULL ? k % o : k;
                    int x = r0 + r;
                    int y = c0 + c;
                    // symmetric: Θ_ab(x, y) = Θ_ba(y, x); store the canonical (min, max) order's value
                    out[(r * cols + c) * v + k] = x <= y ? value(x, y, a, b, o) : value(y, x, b, a, o);
                }
            }
        }
        return out;
    }

    @Test
    void thePlacerPutsEveryTileAndItsTransposeWhereTheWholeKernelHasThem() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (NtkMode mode : NtkMode.values()) {
            for (int o : new int[] {1, 3}) {
                for (int n : new int[] {1, 2, 5, 33, 70}) {
                    long tile = 1 + rnd.nextInt(n + 40);
                    for (boolean symmetric : new boolean[] {true, false}) {
                        int n2 = symmetric ? n : 1 + rnd.nextInt(50);
                        TilePlan p = symmetric ? TilePlan.of(n, n, tile, true)
                                : TilePlan.of(n, n2, tile, 1 + rnd.nextInt(n2 + 3), false);
                        int v = mode.valuesPerPair(o);
                        double[] whole = kernelBlock(0, n, 0, n2, mode, o);
                        double[] placed = new double[whole.length];
                        java.util.Arrays.fill(placed, Double.NaN);
                        TilePlacer<RuntimeException> placer = new TilePlacer<>(p, mode, o, TilePlacer.into(placed));
                        for (TilePlan.Tile t : p.tiles()) {
                            placer.place(t, kernelBlock(t.row0(), t.rows(), t.col0(), t.cols(), mode, o));
                        }
                        assertArrayEquals(whole, placed, mode + " O=" + o + " " + p + " (v=" + v + ")");
                    }
                }
            }
        }
    }

    /**
     * float32 tiles reach the sink as float32 values, their transposes too (the placer allocates no double copy of
     * a tile), and land where the whole kernel has them.
     */
    @Test
    void float32TilesStayFloat32AllTheWayToTheSink() {
        for (NtkMode mode : NtkMode.values()) {
            int o = 3;
            int n = 37;
            TilePlan p = TilePlan.of(n, n, 10, true);
            int v = mode.valuesPerPair(o);
            double[] whole = kernelBlock(0, n, 0, n, mode, o);
            float[] placed = new float[whole.length];
            java.util.Arrays.fill(placed, Float.NaN);
            long[] written = {0};
            TilePlacer<RuntimeException> placer = new TilePlacer<>(p, mode, o, (index, values, from, count) -> {
                assertTrue(values.float32(), "a float32 tile's values reach the sink as float32");
                for (int k = 0; k < count; k++) {
                    placed[Math.toIntExact(index + k)] = values.segment().getAtIndex(
                            java.lang.foreign.ValueLayout.JAVA_FLOAT, from + k);
                }
                written[0] += count;
            });
            for (TilePlan.Tile t : p.tiles()) {
                double[] block = kernelBlock(t.row0(), t.rows(), t.col0(), t.cols(), mode, o);
                float[] f = new float[block.length];
                for (int i = 0; i < f.length; i++) {
                    f[i] = (float) block[i];
                }
                placer.place(t, new org.ntk4j.Tensor(new int[] {t.rows(), t.cols() * v}, f));
            }
            assertEquals(whole.length, written[0], mode + ": every value written once");
            for (int i = 0; i < whole.length; i++) {
                assertEquals((float) whole[i], placed[i], mode + " value " + i);
            }
        }
    }

    @Test
    void aTileOfTheWrongSizeIsRefused() {
        TilePlan p = TilePlan.of(4, 4, 2, true);
        TilePlacer<RuntimeException> placer = new TilePlacer<>(p, NtkMode.TRACE, 1, TilePlacer.into(new double[16]));
        assertThrows(IllegalArgumentException.class, () -> placer.place(p.tile(0, 1), new double[3]));
    }
}

package org.ntk4j.tiling;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.ntk4j.InvalidInputException;

/**
 * How a kernel Θ(X1, X2) of n1 × n2 examples is cut into tiles of at most {@code rows} × {@code cols} examples: tile
 * (i, j) covers rows [i·rows, min(n1, (i+1)·rows)) of X1 and columns [j·cols, min(n2, (j+1)·cols)) of X2. When X2 is
 * X1 ({@code symmetric}) only the tiles with j ≥ i are computed: tile (j, i) is the transpose of tile (i, j), since
 * Θ_ab(x, x') = Θ_ba(x', x). This is the one tile plan of every backend, of the command line's tiled output and of
 * the Spark tile store; backends size the tiles to their memory, the plan only says where each one goes.
 *
 * <p>Tile sizes larger than a side are cut to that side, and every position and count is computed in {@code long},
 * so that no tile size, however large, gives a negative or wrapped-around position.
 *
 * @param n1        N1, the examples of X1 (the kernel's rows), ≥ 1
 * @param n2        N2, the examples of X2 (the kernel's columns), ≥ 1
 * @param rows      the rows of a full tile, 1 to n1 (the last tile of a column may have fewer)
 * @param cols      the columns of a full tile, 1 to n2 (the last tile of a row may have fewer)
 * @param symmetric whether X2 is X1, so that only tiles with j ≥ i are computed; needs n1 = n2 and rows = cols
 */
public record TilePlan(int n1, int n2, int rows, int cols, boolean symmetric) implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * Checks the sizes.
     *
     * @throws InvalidInputException when a side is empty, a tile size is below 1 or above its side, or a symmetric
     *                               plan is not square or has tiles that are not square
     */
    public TilePlan {
        if (n1 < 1 || n2 < 1) {
            throw new InvalidInputException("a kernel needs examples on both sides, got " + n1 + " × " + n2);
        }
        if (rows < 1 || cols < 1) {
            throw new InvalidInputException("tile size must be at least 1, got " + rows + " × " + cols);
        }
        if (rows > n1 || cols > n2) {
            throw new InvalidInputException("a tile of " + rows + " × " + cols + " is larger than the kernel, " + n1
                    + " × " + n2 + " (use TilePlan.of, which cuts it to the kernel)");
        }
        if (symmetric && (n1 != n2 || rows != cols)) {
            throw new InvalidInputException("a symmetric kernel is square and so are its tiles, got a kernel of "
                    + n1 + " × " + n2 + " in tiles of " + rows + " × " + cols);
        }
    }

    /**
     * Square tiles of {@code tile} examples a side, each side cut to its kernel's side.
     *
     * @param n1        N1, ≥ 1
     * @param n2        N2, ≥ 1 (= n1 when symmetric)
     * @param tile      the rows and columns of a tile, ≥ 1 (any size: a larger tile than a side is that side)
     * @param symmetric whether X2 is X1 (the upper triangle of tiles only)
     * @return the plan
     * @throws InvalidInputException when a side is empty, the tile size is below 1, or a symmetric plan is not
     *                               square
     */
    public static TilePlan of(int n1, int n2, long tile, boolean symmetric) {
        return of(n1, n2, tile, tile, symmetric);
    }

    /**
     * Tiles of {@code rows} × {@code cols} examples, each cut to its kernel's side.
     *
     * @param n1        N1, ≥ 1
     * @param n2        N2, ≥ 1 (= n1 when symmetric)
     * @param rows      the rows of a tile, ≥ 1
     * @param cols      the columns of a tile, ≥ 1 (= rows when symmetric)
     * @param symmetric whether X2 is X1 (the upper triangle of tiles only)
     * @return the plan
     * @throws InvalidInputException when a side is empty, a tile size is below 1, or a symmetric plan is not square
     */
    public static TilePlan of(int n1, int n2, long rows, long cols, boolean symmetric) {
        if (rows < 1 || cols < 1) {
            throw new InvalidInputException("tile size must be at least 1, got " + rows + " × " + cols);
        }
        if (symmetric && rows != cols) {
            throw new InvalidInputException("a symmetric kernel has square tiles, got " + rows + " × " + cols);
        }
        return new TilePlan(n1, n2, (int) Math.min(rows, Math.max(1, n1)), (int) Math.min(cols, Math.max(1, n2)),
                symmetric);
    }

    /**
     * The block rows: ⌈n1 / rows⌉.
     *
     * @return the number of tiles down the kernel
     */
    public int blocks1() {
        return (int) ((n1 + (long) rows - 1) / rows);
    }

    /**
     * The block columns: ⌈n2 / cols⌉.
     *
     * @return the number of tiles across the kernel
     */
    public int blocks2() {
        return (int) ((n2 + (long) cols - 1) / cols);
    }

    /**
     * The first row of block row i.
     *
     * @param i the block row, 0 ≤ i &lt; {@link #blocks1()}
     * @return i·rows, inclusive
     */
    public int rowStart(int i) {
        return (int) ((long) checkIndex(i, blocks1(), "block row") * rows);
    }

    /**
     * The end of block row i.
     *
     * @param i the block row, 0 ≤ i &lt; {@link #blocks1()}
     * @return min(n1, (i+1)·rows), exclusive
     */
    public int rowEnd(int i) {
        return (int) Math.min(n1, (checkIndex(i, blocks1(), "block row") + 1L) * rows);
    }

    /**
     * The first column of block column j.
     *
     * @param j the block column, 0 ≤ j &lt; {@link #blocks2()}
     * @return j·cols, inclusive
     */
    public int colStart(int j) {
        return (int) ((long) checkIndex(j, blocks2(), "block column") * cols);
    }

    /**
     * The end of block column j.
     *
     * @param j the block column, 0 ≤ j &lt; {@link #blocks2()}
     * @return min(n2, (j+1)·cols), exclusive
     */
    public int colEnd(int j) {
        return (int) Math.min(n2, (checkIndex(j, blocks2(), "block column") + 1L) * cols);
    }

    /**
     * The first block column computed in block row i: i when symmetric (the upper triangle), else 0.
     *
     * @param i the block row, 0 ≤ i &lt; {@link #blocks1()}
     * @return the first j of the row's tiles
     */
    public int firstBlock2(int i) {
        return symmetric ? checkIndex(i, blocks1(), "block row") : 0;
    }

    /**
     * Tile (i, j).
     *
     * @param i the block row, 0 ≤ i &lt; {@link #blocks1()}
     * @param j the block column, {@link #firstBlock2 firstBlock2(i)} ≤ j &lt; {@link #blocks2()}
     * @return the tile with its rows and columns
     * @throws IndexOutOfBoundsException when (i, j) is not a tile of this plan (below the diagonal when symmetric)
     */
    public Tile tile(int i, int j) {
        int r0 = rowStart(i);
        int c0 = colStart(j);
        if (j < firstBlock2(i)) {
            throw new IndexOutOfBoundsException("tile (" + i + ", " + j + ") is below the diagonal of a symmetric"
                    + " plan; its transpose (" + j + ", " + i + ") is computed instead");
        }
        return new Tile(i, j, r0, rowEnd(i) - r0, c0, colEnd(j) - c0, symmetric);
    }

    /**
     * The tiles of block row i, by column.
     *
     * @param i the block row, 0 ≤ i &lt; {@link #blocks1()}
     * @return a new list, from {@link #firstBlock2 firstBlock2(i)} to the last block column
     */
    public List<Tile> row(int i) {
        List<Tile> row = new ArrayList<>();
        for (int j = firstBlock2(i); j < blocks2(); j++) {
            row.add(tile(i, j));
        }
        return row;
    }

    /**
     * Every tile computed, row-major (the upper triangle only when symmetric).
     *
     * @return a new list of {@link #tileCount()} tiles
     * @throws InvalidInputException when there are more tiles than one list holds (choose larger tiles)
     */
    public List<Tile> tiles() {
        long count = tileCount();
        if (count > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException(count + " tiles of " + rows + " × " + cols + " examples are too many to"
                    + " list; choose larger tiles");
        }
        List<Tile> all = new ArrayList<>((int) count);
        for (int i = 0; i < blocks1(); i++) {
            all.addAll(row(i));
        }
        return all;
    }

    /**
     * How many tiles are computed: blocks1·(blocks1+1)/2 when symmetric, else blocks1·blocks2.
     *
     * @return the number of tiles, in {@code long} (a kernel of 2³¹ − 1 examples in tiles of 1 has about 2⁶¹)
     */
    public long tileCount() {
        long b1 = blocks1();
        return symmetric ? b1 * (b1 + 1) / 2 : b1 * blocks2();
    }

    /**
     * The flat index of pair (row, col)'s first value in the whole kernel in pair layout, shape (n1, n2, …).
     *
     * @param row           the example of X1, 0 ≤ row &lt; n1
     * @param col           the example of X2, 0 ≤ col &lt; n2
     * @param valuesPerPair values of one pair ({@code NtkMode.valuesPerPair})
     * @return (row·n2 + col)·valuesPerPair, in {@code long}
     */
    public long offset(int row, int col, int valuesPerPair) {
        return ((long) row * n2 + col) * valuesPerPair;
    }

    private static int checkIndex(int index, int count, String what) {
        if (index < 0 || index >= count) {
            throw new IndexOutOfBoundsException(what + " " + index + " is outside 0.." + (count - 1));
        }
        return index;
    }

    /**
     * One tile: block row i, block column j, and the examples it covers; ordered row-major (by i, then j).
     *
     * @param i         the block row
     * @param j         the block column
     * @param row0      the first row (example of X1) it covers
     * @param rows      how many rows it covers, ≥ 1
     * @param col0      the first column (example of X2) it covers
     * @param cols      how many columns it covers, ≥ 1
     * @param symmetric whether its plan is symmetric
     */
    public record Tile(int i, int j, int row0, int rows, int col0, int cols, boolean symmetric)
            implements Serializable, Comparable<Tile> {
        private static final long serialVersionUID = 1L;

        /**
         * Whether the tile is Θ(X_i, X_i), on the diagonal of a symmetric kernel (computed whole, symmetric itself).
         *
         * @return symmetric and i = j
         */
        public boolean diagonal() {
            return symmetric && i == j;
        }

        /**
         * Whether the tile stands for its transpose too: above the diagonal of a symmetric kernel, it is also tile
         * (j, i), transposed.
         *
         * @return symmetric and i ≠ j
         */
        public boolean mirrored() {
            return symmetric && i != j;
        }

        /**
         * The row after the tile's last.
         *
         * @return row0 + rows, exclusive
         */
        public int rowEnd() {
            return row0 + rows;
        }

        /**
         * The column after the tile's last.
         *
         * @return col0 + cols, exclusive
         */
        public int colEnd() {
            return col0 + cols;
        }

        @Override
        public int compareTo(Tile o) {
            return i != o.i ? Integer.compare(i, o.i) : Integer.compare(j, o.j);
        }
    }
}

package org.ntk4j.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.ntk4j.InvalidInputException;

/**
 * How Θ(X1, X2) of n1 × n2 examples splits into square tiles of {@code tile} rows: tile (i, j) covers rows
 * [i·tile, min(n1, (i+1)·tile)) of X1 and the same of X2. When X2 is X1 only the upper triangle j ≥ i is
 * computed; tile (j, i) is the transpose of (i, j).
 *
 * @param n1        N1, the examples of X1 (the kernel's rows), ≥ 1
 * @param n2        N2, the examples of X2 (the kernel's columns), ≥ 1
 * @param tile      the rows and columns of a full tile, ≥ 1 (the last tile of a row or column may be smaller)
 * @param symmetric whether X2 is X1, so that only tiles with j ≥ i are computed; needs n1 = n2
 */
public record TileGrid(int n1, int n2, int tile, boolean symmetric) implements Serializable {

    /**
     * Checks the sizes.
     *
     * @throws InvalidInputException when a side is empty, the tile size is below 1, or a symmetric grid is not
     *                               square
     */
    public TileGrid {
        if (n1 < 1 || n2 < 1) {
            throw new InvalidInputException("a kernel needs examples on both sides, got " + n1 + " × " + n2);
        }
        if (tile < 1) {
            throw new InvalidInputException("tile size must be at least 1, got " + tile);
        }
        if (symmetric && n1 != n2) {
            throw new InvalidInputException("a symmetric kernel is square, got " + n1 + " × " + n2);
        }
    }

    /**
     * One tile: block row i, block column j; ordered row-major (by i, then j).
     *
     * @param i the block row, 0 ≤ i &lt; {@link #blocks1()}
     * @param j the block column, 0 ≤ j &lt; {@link #blocks2()}
     */
    public record Tile(int i, int j) implements Serializable, Comparable<Tile> {
        @Override
        public int compareTo(Tile o) {
            return i != o.i ? Integer.compare(i, o.i) : Integer.compare(j, o.j);
        }

        String fileName() {
            return "tile-" + i + "-" + j + ".npy";
        }

        /**
         * Whether the tile is on the diagonal (i = j); in a symmetric grid it is Θ(X_i, X_i).
         *
         * @return i = j
         */
        public boolean onDiagonal() {
            return i == j;
        }
    }

    /**
     * The block rows: ⌈n1 / tile⌉.
     *
     * @return the number of tiles down the kernel
     */
    public int blocks1() {
        return (n1 + tile - 1) / tile;
    }

    /**
     * The block columns: ⌈n2 / tile⌉.
     *
     * @return the number of tiles across the kernel
     */
    public int blocks2() {
        return (n2 + tile - 1) / tile;
    }

    /**
     * The first row of X1 in block row i.
     *
     * @param i the block row, 0 ≤ i &lt; {@link #blocks1()}
     * @return i·tile, inclusive
     */
    public int from1(int i) {
        return i * tile;
    }

    /**
     * The end of block row i in X1.
     *
     * @param i the block row, 0 ≤ i &lt; {@link #blocks1()}
     * @return min(n1, (i+1)·tile), exclusive
     */
    public int to1(int i) {
        return Math.min(n1, (i + 1) * tile);
    }

    /**
     * The first row of X2 in block column j.
     *
     * @param j the block column, 0 ≤ j &lt; {@link #blocks2()}
     * @return j·tile, inclusive
     */
    public int from2(int j) {
        return j * tile;
    }

    /**
     * The end of block column j in X2.
     *
     * @param j the block column, 0 ≤ j &lt; {@link #blocks2()}
     * @return min(n2, (j+1)·tile), exclusive
     */
    public int to2(int j) {
        return Math.min(n2, (j + 1) * tile);
    }

    /**
     * Every tile computed, row-major (upper triangle only when symmetric).
     *
     * @return a new list of {@link #tileCount()} tiles
     */
    public List<Tile> tiles() {
        List<Tile> all = new ArrayList<>();
        for (int i = 0; i < blocks1(); i++) {
            for (int j = symmetric ? i : 0; j < blocks2(); j++) {
                all.add(new Tile(i, j));
            }
        }
        return all;
    }

    /**
     * How many tiles are computed: blocks1·(blocks1+1)/2 when symmetric, else blocks1·blocks2.
     *
     * @return the size of {@link #tiles()}
     */
    public long tileCount() {
        long b1 = blocks1();
        return symmetric ? b1 * (b1 + 1) / 2 : b1 * blocks2();
    }
}

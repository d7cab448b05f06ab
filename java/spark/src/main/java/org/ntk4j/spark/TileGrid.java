package org.ntk4j.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.ntk4j.InvalidInputException;

/**
 * How Θ(X1, X2) of n1 × n2 examples splits into square tiles of {@code tile} rows: tile (i, j) covers rows
 * [i·tile, min(n1, (i+1)·tile)) of X1 and the same of X2. When X2 is X1 only the upper triangle j ≥ i is
 * computed; tile (j, i) is the transpose of (i, j).
 */
public record TileGrid(int n1, int n2, int tile, boolean symmetric) implements Serializable {

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

    /** One tile: block row i, block column j. */
    public record Tile(int i, int j) implements Serializable, Comparable<Tile> {
        @Override
        public int compareTo(Tile o) {
            return i != o.i ? Integer.compare(i, o.i) : Integer.compare(j, o.j);
        }

        String fileName() {
            return "tile-" + i + "-" + j + ".npy";
        }

        public boolean onDiagonal() {
            return i == j;
        }
    }

    public int blocks1() {
        return (n1 + tile - 1) / tile;
    }

    public int blocks2() {
        return (n2 + tile - 1) / tile;
    }

    public int from1(int i) {
        return i * tile;
    }

    public int to1(int i) {
        return Math.min(n1, (i + 1) * tile);
    }

    public int from2(int j) {
        return j * tile;
    }

    public int to2(int j) {
        return Math.min(n2, (j + 1) * tile);
    }

    /** Every tile computed, row-major (upper triangle only when symmetric). */
    public List<Tile> tiles() {
        List<Tile> all = new ArrayList<>();
        for (int i = 0; i < blocks1(); i++) {
            for (int j = symmetric ? i : 0; j < blocks2(); j++) {
                all.add(new Tile(i, j));
            }
        }
        return all;
    }

    public long tileCount() {
        long b1 = blocks1();
        return symmetric ? b1 * (b1 + 1) / 2 : b1 * blocks2();
    }
}

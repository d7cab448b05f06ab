package org.ntk4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Matrix and Tensor: indices are checked on every axis, and each method does what its Javadoc says about arrays. */
class MatrixTest {

    @Test
    void getAndSetCheckBothIndices() {
        Matrix m = new Matrix(2, 3, new double[] {1, 2, 3, 4, 5, 6});
        assertEquals(6, m.get(1, 2));
        m.set(0, 1, 9);
        assertEquals(9, m.data()[1]);
        // A column past the end would land on the next row in the flat array: it must not.
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> m.get(0, 3));
        assertTrue(e.getMessage().contains("(0, 3)") && e.getMessage().contains("(2, 3)"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> m.get(2, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> m.get(-1, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> m.get(1, -1));
        assertThrows(IndexOutOfBoundsException.class, () -> m.set(0, 3, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> m.set(2, 0, 1));
        assertArrayEquals(new double[] {1, 9, 3, 4, 5, 6}, m.data(), "a rejected write changes nothing");
    }

    @Test
    void rowsAndRangesAreCheckedCopies() {
        Matrix m = new Matrix(3, 2, new double[] {1, 2, 3, 4, 5, 6});
        double[] r = m.row(1);
        assertArrayEquals(new double[] {3, 4}, r);
        r[0] = 0;
        assertEquals(3, m.get(1, 0), "row() copies");
        assertThrows(IndexOutOfBoundsException.class, () -> m.row(3));
        assertThrows(IndexOutOfBoundsException.class, () -> m.row(-1));
        Matrix mid = m.rowRange(1, 3);
        assertEquals(new Matrix(2, 2, new double[] {3, 4, 5, 6}), mid);
        mid.set(0, 0, 0);
        assertEquals(3, m.get(1, 0), "rowRange() copies");
        assertEquals(0, m.rowRange(2, 2).rows());
        assertThrows(IndexOutOfBoundsException.class, () -> m.rowRange(2, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> m.rowRange(2, 1));
    }

    @Test
    void theConstructorKeepsTheArrayAndTheFactoriesCopy() {
        double[] data = {1, 2, 3, 4};
        Matrix kept = new Matrix(2, 2, data);
        assertSame(data, kept.data());
        double[][] rows = {{1, 2}, {3, 4}};
        Matrix copied = Matrix.of(rows);
        rows[0][0] = 7;
        assertEquals(1, copied.get(0, 0));
        Matrix c = kept.copy();
        assertNotSame(kept.data(), c.data());
        assertEquals(kept, c);
        assertThrows(InvalidInputException.class, () -> new Matrix(2, 3, data));
        assertThrows(InvalidInputException.class, () -> Matrix.of(new double[][] {{1, 2}, {3}}));
        assertThrows(InvalidInputException.class, () -> Matrix.zeros(-1, 2));
    }

    @Test
    void tensorChecksEveryAxisAndKeepsItsData() {
        double[] data = new double[2 * 3 * 4];
        int[] shape = {2, 3, 4};
        Tensor t = new Tensor(shape, data);
        shape[0] = 5;
        assertEquals(2, t.dim(0), "the shape is copied");
        assertSame(data, t.data(), "the data is kept");
        assertThrows(IndexOutOfBoundsException.class, () -> t.get(0, 3, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> t.get(0, 0, 4));
        assertThrows(InvalidInputException.class, () -> t.get(0, 0));
        assertEquals(1.0, new Tensor(new int[] {2}, new double[] {0, 3}).relativeDistance(
                new Tensor(new int[] {2}, new double[] {0, 1.5})));
        assertThrows(InvalidInputException.class, () -> t.relativeDistance(Tensor.zeros(2, 3)));
    }
}

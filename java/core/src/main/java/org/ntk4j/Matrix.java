package org.ntk4j;

import java.util.Arrays;

/**
 * A dense row-major matrix of doubles in one array: a batch of inputs (one example per row), outputs, targets, a
 * Jacobian or a kernel in matrix layout. The 2-D float64 convenience of {@link Tensor}, which holds any shape in
 * float32 or float64 and beyond 2³¹ values ({@link #asTensor()} and {@link Tensor#asMatrix()} convert). Inputs are always handed to backends in fp64; a backend converts once to its own
 * precision.
 *
 * <p>Arrays: the canonical constructor keeps {@code data} as the matrix's storage (no copy), so writes through
 * {@link #data()} or {@link #set} and writes to the array the caller passed are the same writes. {@link #of(double[][])},
 * {@link #copy()}, {@link #row(int)} and {@link #rowRange(int, int)} copy; {@link #asTensor()} shares the array. {@link #get} and {@link #set} check their
 * indices; loops that need every nanosecond read {@link #data()} directly, at {@code i·cols + j}.
 *
 * @param rows the number of rows, ≥ 0
 * @param cols the number of columns, ≥ 0
 * @param data the rows·cols values, row after row; kept, not copied
 */
public record Matrix(int rows, int cols, double[] data) {

    /**
     * Checks that the shape is non-negative and matches the array's length; keeps the array.
     *
     * @throws InvalidInputException when the shape is negative or does not match {@code data}
     */
    public Matrix {
        if (rows < 0 || cols < 0) {
            throw new InvalidInputException("matrix shape (" + rows + ", " + cols + ") has a negative size");
        }
        if (data == null || (long) rows * cols != data.length) {
            throw new InvalidInputException("matrix shape (" + rows + ", " + cols + ") does not match "
                    + (data == null ? "null data" : data.length + " values"));
        }
    }

    /**
     * A matrix of zeros.
     *
     * @param rows the number of rows, ≥ 0
     * @param cols the number of columns, ≥ 0
     * @return a new matrix with its own array
     */
    public static Matrix zeros(int rows, int cols) {
        long n = (long) rows * cols;
        if (rows < 0 || cols < 0) {
            throw new InvalidInputException("matrix shape (" + rows + ", " + cols + ") has a negative size");
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("matrix (" + rows + ", " + cols + ") has more than 2^31 elements");
        }
        return new Matrix(rows, cols, new double[(int) n]);
    }

    /**
     * A matrix from an array of rows, all of the same length; the values are copied.
     *
     * @param rowsData the rows (none, or all of one length)
     * @return a new matrix with its own array
     */
    public static Matrix of(double[][] rowsData) {
        if (rowsData == null) {
            throw new InvalidInputException("rows must be given");
        }
        int r = rowsData.length;
        int c = r == 0 || rowsData[0] == null ? 0 : rowsData[0].length;
        if ((long) r * c > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("matrix (" + r + ", " + c + ") has more than 2^31 elements");
        }
        double[] d = new double[r * c];
        for (int i = 0; i < r; i++) {
            if (rowsData[i] == null || rowsData[i].length != c) {
                throw new InvalidInputException("row " + i + " has " + (rowsData[i] == null ? "no" : rowsData[i].length)
                        + " values, expected " + c);
            }
            System.arraycopy(rowsData[i], 0, d, i * c, c);
        }
        return new Matrix(r, c, d);
    }

    /**
     * The value at row i, column j.
     *
     * @param i the row, in [0, rows)
     * @param j the column, in [0, cols)
     * @return {@code data[i·cols + j]}
     * @throws IndexOutOfBoundsException when (i, j) lies outside the matrix
     */
    public double get(int i, int j) {
        return data[index(i, j)];
    }

    /**
     * Sets the value at row i, column j (in the kept array).
     *
     * @param i the row, in [0, rows)
     * @param j the column, in [0, cols)
     * @param v the new value
     * @throws IndexOutOfBoundsException when (i, j) lies outside the matrix
     */
    public void set(int i, int j, double v) {
        data[index(i, j)] = v;
    }

    /** The flat index of (i, j), checked against both dimensions (a column past the end must not wrap to the next row). */
    private int index(int i, int j) {
        if (i < 0 || i >= rows || j < 0 || j >= cols) {
            throw new IndexOutOfBoundsException("index (" + i + ", " + j + ") outside a (" + rows + ", " + cols
                    + ") matrix");
        }
        return i * cols + j;
    }

    /**
     * A copy of one row.
     *
     * @param i the row, in [0, rows)
     * @return a new array of cols values
     * @throws IndexOutOfBoundsException when the row does not exist
     */
    public double[] row(int i) {
        if (i < 0 || i >= rows) {
            throw new IndexOutOfBoundsException("row " + i + " outside a matrix of " + rows + " rows");
        }
        return Arrays.copyOfRange(data, i * cols, (i + 1) * cols);
    }

    /**
     * Rows [from, to) as a new matrix (copied).
     *
     * @param from the first row, in [0, rows]
     * @param to   one past the last row, in [from, rows]
     * @return a new (to − from, cols) matrix with its own array
     * @throws IndexOutOfBoundsException when the range does not lie within the rows
     */
    public Matrix rowRange(int from, int to) {
        if (from < 0 || to < from || to > rows) {
            throw new IndexOutOfBoundsException("rows [" + from + ", " + to + ") outside a matrix of " + rows + " rows");
        }
        return new Matrix(to - from, cols, Arrays.copyOfRange(data, from * cols, to * cols));
    }

    /**
     * This matrix as a rank-2 float64 {@link Tensor}.
     *
     * @return a tensor of shape (rows, cols) over the same array (writes to either are visible in both)
     */
    public Tensor asTensor() {
        return new Tensor(new int[] {rows, cols}, data);
    }

    /**
     * A copy with its own array.
     *
     * @return a new matrix equal to this one
     */
    public Matrix copy() {
        return new Matrix(rows, cols, data.clone());
    }

    /**
     * The Frobenius norm.
     *
     * @return √(Σ values²)
     */
    public double frobeniusNorm() {
        double s = 0;
        for (double v : data) {
            s += v * v;
        }
        return Math.sqrt(s);
    }

    /** Equal shapes and equal values ({@link Arrays#equals(double[], double[])}: NaN equals NaN, 0.0 ≠ −0.0). */
    @Override
    public boolean equals(Object o) {
        return o instanceof Matrix m && m.rows == rows && m.cols == cols && Arrays.equals(m.data, data);
    }

    /** A hash of the shape and the values, consistent with {@link #equals}. */
    @Override
    public int hashCode() {
        return 31 * (31 * rows + cols) + Arrays.hashCode(data);
    }

    /** The shape, e.g. {@code Matrix(3×4)} (not the values). */
    @Override
    public String toString() {
        return "Matrix(" + rows + "×" + cols + ")";
    }
}

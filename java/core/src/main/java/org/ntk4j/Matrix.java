package org.ntk4j;

import java.util.Arrays;

/**
 * A dense row-major matrix of doubles: a batch of inputs (one example per row), outputs, targets or a Jacobian.
 * Inputs are always handed to backends in fp64; a backend converts once to its own precision.
 */
public record Matrix(int rows, int cols, double[] data) {

    public Matrix {
        if (rows < 0 || cols < 0) {
            throw new InvalidInputException("matrix shape (" + rows + ", " + cols + ") has a negative size");
        }
        if (data == null || (long) rows * cols != data.length) {
            throw new InvalidInputException("matrix shape (" + rows + ", " + cols + ") does not match "
                    + (data == null ? "null data" : data.length + " values"));
        }
    }

    /** A zero matrix. */
    public static Matrix zeros(int rows, int cols) {
        long n = (long) rows * cols;
        if (n > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("matrix (" + rows + ", " + cols + ") has more than 2^31 elements");
        }
        return new Matrix(rows, cols, new double[(int) n]);
    }

    /** Copies a rectangular array of rows. */
    public static Matrix of(double[][] rowsData) {
        int r = rowsData.length;
        int c = r == 0 ? 0 : rowsData[0].length;
        double[] d = new double[r * c];
        for (int i = 0; i < r; i++) {
            if (rowsData[i].length != c) {
                throw new InvalidInputException("row " + i + " has " + rowsData[i].length + " values, expected " + c);
            }
            System.arraycopy(rowsData[i], 0, d, i * c, c);
        }
        return new Matrix(r, c, d);
    }

    public double get(int i, int j) {
        return data[i * cols + j];
    }

    public void set(int i, int j, double v) {
        data[i * cols + j] = v;
    }

    /** A copy of row i. */
    public double[] row(int i) {
        return Arrays.copyOfRange(data, i * cols, (i + 1) * cols);
    }

    /** Rows [from, to) as a new matrix. */
    public Matrix rowRange(int from, int to) {
        return new Matrix(to - from, cols, Arrays.copyOfRange(data, from * cols, to * cols));
    }

    public Matrix copy() {
        return new Matrix(rows, cols, data.clone());
    }

    /** Frobenius norm. */
    public double frobeniusNorm() {
        double s = 0;
        for (double v : data) {
            s += v * v;
        }
        return Math.sqrt(s);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Matrix m && m.rows == rows && m.cols == cols && Arrays.equals(m.data, data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * rows + cols) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Matrix(" + rows + "×" + cols + ")";
    }
}

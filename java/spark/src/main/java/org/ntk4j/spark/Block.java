package org.ntk4j.spark;

import java.io.Serializable;
import org.ntk4j.Matrix;

/**
 * A row-major matrix as tasks ship and cache it (core's {@link Matrix} is not {@link Serializable}).
 *
 * @param rows the number of rows
 * @param cols the number of columns
 * @param data the rows·cols values, row after row; shared with the {@link Matrix} it came from or goes to
 */
record Block(int rows, int cols, double[] data) implements Serializable {
    static Block of(Matrix m) {
        return new Block(m.rows(), m.cols(), m.data());
    }

    Matrix matrix() {
        return new Matrix(rows, cols, data);
    }
}

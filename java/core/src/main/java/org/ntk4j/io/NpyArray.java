package org.ntk4j.io;

import java.util.Arrays;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.Tensor;

/**
 * An array read from or written to a {@code .npy} file: shape, values (widened to double) and whether the file
 * holds float32 ({@code <f4}) or float64 ({@code <f8}).
 */
public record NpyArray(int[] shape, double[] data, boolean float32) {

    public NpyArray {
        long n = 1;
        for (int s : shape) {
            n *= s;
        }
        if (n != data.length) {
            throw new InvalidInputException("shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
        }
        shape = shape.clone();
    }

    public static NpyArray of(Tensor t, boolean float32) {
        return new NpyArray(t.shape(), t.data(), float32);
    }

    public static NpyArray of(Matrix m, boolean float32) {
        return new NpyArray(new int[] {m.rows(), m.cols()}, m.data(), float32);
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    public Tensor toTensor() {
        return new Tensor(shape, data);
    }

    /**
     * As a matrix of examples: a 2-D array as is, a 1-D array of N values as (N, 1). {@code what} names the file's
     * role in the error message.
     */
    public Matrix toMatrix(String what) {
        if (shape.length == 2) {
            return new Matrix(shape[0], shape[1], data);
        }
        if (shape.length == 1) {
            return new Matrix(shape[0], 1, data);
        }
        throw new InvalidInputException(what + " must be a 2-D array (examples × features), got shape " + Arrays.toString(shape));
    }
}

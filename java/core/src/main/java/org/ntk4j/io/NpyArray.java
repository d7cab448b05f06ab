package org.ntk4j.io;

import java.util.Arrays;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.Tensor;

/**
 * An array read from or written to a {@code .npy} file: shape, values (widened to double) and whether the file
 * holds float32 ({@code <f4}) or float64 ({@code <f8}).
 * <p>Arrays: the shape is copied, {@code data} is kept (no copy); {@link #of} and {@link #toTensor()} / {@link #toMatrix(String)} share the data array with their argument or result.
 *
 * @param shape   the dimensions; copied
 * @param data    the values in C order, widened to double; kept, not copied
 * @param float32 whether the file stores {@code <f4} values (else {@code <f8})
 */
public record NpyArray(int[] shape, double[] data, boolean float32) {

    /**
     * Checks that the shape matches the number of values and copies the shape.
     *
     * @throws org.ntk4j.InvalidInputException when it does not
     */
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

    /**
     * A tensor as an array to write.
     *
     * @param t       the tensor; its data array is shared, not copied
     * @param float32 whether to store float32
     * @return the array
     */
    public static NpyArray of(Tensor t, boolean float32) {
        return new NpyArray(t.shape(), t.data(), float32);
    }

    /**
     * A matrix as a 2-D array to write.
     *
     * @param m       the matrix; its data array is shared, not copied
     * @param float32 whether to store float32
     * @return the array
     */
    public static NpyArray of(Matrix m, boolean float32) {
        return new NpyArray(new int[] {m.rows(), m.cols()}, m.data(), float32);
    }

    /**
     * The dimensions.
     *
     * @return a copy of the shape
     */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /**
     * As a tensor over the same data array (not copied).
     *
     * @return the tensor
     */
    public Tensor toTensor() {
        return new Tensor(shape, data);
    }

    /**
     * As a matrix of examples: a 2-D array as is, a 1-D array of N values as (N, 1). {@code what} names the file's
     * role in the error message.
     *
     * @param what the file's role for the message, e.g. "X1"
     * @return a matrix over the same data array (not copied)
     * @throws org.ntk4j.InvalidInputException when the array is neither 1-D nor 2-D
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

package org.ntk4j;

import java.util.Arrays;

/**
 * A dense row-major (C order) array of doubles with a shape: how kernels come back, e.g. (N1, N2, O, O) for
 * {@link NtkMode#FULL} (see {@link KernelLayout}). fp32 backends round their results to float before widening them
 * here, so the values are exactly what an fp32 computation produced.
 *
 * <p>Arrays: the constructor copies the shape and keeps the data array (no copy), so writes through {@link #data()}
 * and writes to the array the caller passed are the same writes; {@link #asMatrix()} shares it too. {@link #get}
 * checks every index.
 */
public final class Tensor {
    private final int[] shape;
    private final double[] data;

    /**
     * A tensor over an existing array.
     *
     * @param shape the dimensions, each ≥ 0; copied
     * @param data  the values in row-major order, as many as the dimensions' product; kept, not copied
     * @throws InvalidInputException when a dimension is negative or the array's length does not match
     */
    public Tensor(int[] shape, double[] data) {
        if (shape == null || data == null) {
            throw new InvalidInputException("a tensor needs a shape and data");
        }
        long n = 1;
        for (int s : shape) {
            if (s < 0) {
                throw new InvalidInputException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= s;
        }
        if (n != data.length) {
            throw new InvalidInputException(
                    "shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
        }
        this.shape = shape.clone();
        this.data = data;
    }

    /**
     * A tensor of zeros.
     *
     * @param shape the dimensions, each ≥ 0
     * @return a new tensor with its own array
     * @throws InvalidInputException when a dimension is negative or there would be more than 2^31 values
     */
    public static Tensor zeros(int... shape) {
        long n = 1;
        for (int s : shape) {
            if (s < 0) {
                throw new InvalidInputException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= s;
            if (n > Integer.MAX_VALUE - 8) {
                throw new InvalidInputException("tensor of shape " + Arrays.toString(shape)
                        + " has more than 2^31 elements; compute it in tiles");
            }
        }
        return new Tensor(shape, new double[(int) n]);
    }

    /**
     * The dimensions.
     *
     * @return a copy of the shape
     */
    public int[] shape() {
        return shape.clone();
    }

    /**
     * One dimension.
     *
     * @param axis in [0, rank)
     * @return the size along that axis
     */
    public int dim(int axis) {
        return shape[axis];
    }

    /**
     * The number of dimensions.
     *
     * @return the rank, e.g. 4 for a full kernel
     */
    public int rank() {
        return shape.length;
    }

    /**
     * The values in row-major order.
     *
     * @return the kept array itself (not a copy): writes are visible
     */
    public double[] data() {
        return data;
    }

    /**
     * The number of values.
     *
     * @return the product of the dimensions
     */
    public int size() {
        return data.length;
    }

    /**
     * The flat row-major index of a multi-index.
     *
     * @param idx one index per dimension
     * @return the position in {@link #data()}
     * @throws InvalidInputException     when the number of indices is not the rank
     * @throws IndexOutOfBoundsException when an index lies outside its dimension
     */
    public int index(int... idx) {
        if (idx.length != shape.length) {
            throw new InvalidInputException("index of rank " + idx.length + " for a tensor of rank " + shape.length);
        }
        int k = 0;
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " outside " + Arrays.toString(shape));
            }
            k = k * shape[i] + idx[i];
        }
        return k;
    }

    /**
     * The value at a multi-index, checked like {@link #index}.
     *
     * @param idx one index per dimension
     * @return the value
     */
    public double get(int... idx) {
        return data[index(idx)];
    }

    /**
     * A rank-2 tensor viewed as a matrix.
     *
     * @return a matrix over the same array (writes to either are visible in both)
     * @throws InvalidInputException when the rank is not 2
     */
    public Matrix asMatrix() {
        if (shape.length != 2) {
            throw new InvalidInputException("tensor of shape " + Arrays.toString(shape) + " is not a matrix");
        }
        return new Matrix(shape[0], shape[1], data);
    }

    /**
     * ‖this − reference‖_F / ‖reference‖_F, the relative Frobenius distance (e.g. a kernel's drift from its value at
     * initialisation); ‖this − reference‖_F when the reference is zero.
     *
     * @param reference a tensor of the same shape
     * @return the relative distance, ≥ 0
     */
    public double relativeDistance(Tensor reference) {
        if (reference == null || !Arrays.equals(reference.shape, shape)) {
            throw new InvalidInputException("tensors of shapes " + Arrays.toString(shape) + " and "
                    + (reference == null ? "null" : Arrays.toString(reference.shape)) + " cannot be compared");
        }
        double num = 0;
        double den = 0;
        double[] y = reference.data;
        for (int i = 0; i < data.length; i++) {
            double d = data[i] - y[i];
            num += d * d;
            den += y[i] * y[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /** Equal shapes and equal values ({@link Arrays#equals(double[], double[])}). */
    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && Arrays.equals(t.shape, shape) && Arrays.equals(t.data, data);
    }

    /** A hash of the shape and the values, consistent with {@link #equals}. */
    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    /** The shape, e.g. {@code Tensor[3, 3, 2, 2]} (not the values). */
    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}

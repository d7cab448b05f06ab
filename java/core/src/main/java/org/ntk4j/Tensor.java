package org.ntk4j;

import java.util.Arrays;

/**
 * A dense row-major (C order) array of doubles with a shape: how kernels come back, e.g. (N1, N2, O, O) for
 * {@link NtkMode#FULL}. fp32 backends round their results to float before widening them here, so the values are
 * exactly what an fp32 computation produced.
 */
public final class Tensor {
    private final int[] shape;
    private final double[] data;

    public Tensor(int[] shape, double[] data) {
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

    /** A zero tensor of this shape. */
    public static Tensor zeros(int... shape) {
        long n = 1;
        for (int s : shape) {
            n *= s;
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("tensor of shape " + Arrays.toString(shape)
                    + " has more than 2^31 elements; compute it in tiles");
        }
        return new Tensor(shape, new double[(int) n]);
    }

    public int[] shape() {
        return shape.clone();
    }

    public int dim(int axis) {
        return shape[axis];
    }

    public int rank() {
        return shape.length;
    }

    /** The backing array (row-major); writes are visible. */
    public double[] data() {
        return data;
    }

    public int size() {
        return data.length;
    }

    /** Flat index of a multi-index. */
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

    public double get(int... idx) {
        return data[index(idx)];
    }

    /** A rank-2 tensor viewed as a matrix (shares the data). */
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

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && Arrays.equals(t.shape, shape) && Arrays.equals(t.data, data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}

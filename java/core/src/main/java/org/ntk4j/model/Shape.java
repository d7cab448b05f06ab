package org.ntk4j.model;

import java.util.Arrays;
import org.ntk4j.InvalidInputException;

/**
 * The shape of one example as a layer sees it: {@code (d)} for a feature vector, {@code (H, W, C)} for an image
 * (channels last, as neural-tangents). Sizes are {@code long} so that a shape can describe more entries than one
 * Java array holds; the layers that need an {@code int} size say so when they check their input.
 */
public final class Shape {
    private final long[] dims;
    private final long size;

    private Shape(long[] dims) {
        if (dims == null || dims.length == 0) {
            throw new InvalidInputException("a shape needs at least one dimension");
        }
        long s = 1;
        for (long d : dims) {
            if (d < 1) {
                throw new InvalidInputException("every dimension of a shape must be at least 1, got "
                        + Arrays.toString(dims));
            }
            try {
                s = Math.multiplyExact(s, d);
            } catch (ArithmeticException e) {
                throw new InvalidInputException("shape " + Arrays.toString(dims) + " has more than 2^63 entries");
            }
        }
        this.dims = dims.clone();
        this.size = s;
    }

    /**
     * A shape of these dimensions.
     *
     * @param dims the sizes, outermost first, each ≥ 1
     * @return the shape
     * @throws InvalidInputException when there is no dimension, one is below 1, or the product overflows a long
     */
    public static Shape of(long... dims) {
        return new Shape(dims);
    }

    /**
     * A flat feature vector {@code (d)}.
     *
     * @param d the number of features, ≥ 1
     * @return the shape {@code (d)}
     * @throws InvalidInputException when d &lt; 1
     */
    public static Shape flat(long d) {
        return new Shape(new long[] {d});
    }

    /**
     * The number of dimensions.
     *
     * @return 1 for {@code (d)}, 3 for {@code (H, W, C)}
     */
    public int rank() {
        return dims.length;
    }

    /**
     * One dimension.
     *
     * @param i the axis, in [0, rank)
     * @return its size
     */
    public long dim(int i) {
        return dims[i];
    }

    /**
     * All dimensions.
     *
     * @return a copy, outermost first
     */
    public long[] dims() {
        return dims.clone();
    }

    /**
     * The number of entries, the product of the dimensions.
     *
     * @return the size
     */
    public long size() {
        return size;
    }

    /**
     * Whether this is a feature vector {@code (d)}.
     *
     * @return rank == 1
     */
    public boolean isFlat() {
        return dims.length == 1;
    }

    /**
     * The size as an {@code int}, for what holds one example in one array.
     *
     * @param what what the size is of, for the message
     * @return the size
     * @throws InvalidInputException when the size is at least 2^31
     */
    public int intSize(String what) {
        if (size > Integer.MAX_VALUE) {
            throw new InvalidInputException(what + " " + this + " has " + size + " entries, more than 2^31 - 1");
        }
        return (int) size;
    }

    /**
     * Equal dimensions.
     *
     * @param o another object
     * @return whether o is a shape with the same dimensions
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(s.dims, dims);
    }

    /**
     * A hash consistent with {@link #equals}.
     *
     * @return the hash of the dimensions
     */
    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /**
     * The dimensions joined by 'x', e.g. {@code 64} or {@code 28x28x1}: the form {@link #parse} reads.
     *
     * @return the shape as text
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < dims.length; i++) {
            sb.append(i == 0 ? "" : "x").append(dims[i]);
        }
        return sb.toString();
    }

    /**
     * Reads {@code 64} or {@code 28x28x1}.
     *
     * @param s the dimensions joined by 'x'
     * @return the shape
     * @throws InvalidInputException when a dimension is not a positive integer
     */
    public static Shape parse(String s) {
        String[] parts = s.trim().split("x", -1);
        long[] d = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                d[i] = Long.parseLong(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new InvalidInputException("shape '" + s + "': '" + parts[i] + "' is not an integer");
            }
        }
        return new Shape(d);
    }
}

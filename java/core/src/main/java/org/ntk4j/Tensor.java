package org.ntk4j;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A dense row-major (C order) array of float32 or float64 values with a shape: how kernels come back, e.g.
 * (N1, N2, O, O) for {@link NtkMode#FULL} (see {@link KernelLayout}), how {@code .npy} files are read
 * ({@link org.ntk4j.io.Npy}), and how a batch of images (N, H, W, C) is held. {@link Matrix} is the 2-D float64
 * convenience over a plain array that the backends take as input.
 *
 * <p>Storage: a {@code double[]}, a {@code float[]}, or a {@link MemorySegment} (native memory, or a memory-mapped
 * file: a {@code .npy} used in place, see {@link org.ntk4j.io.Npy#map}). Each dimension is at most 2³¹ − 1
 * (as in a {@code .npy} header); the number of values and the flat indices are {@code long}, so a segment may hold
 * more than 2³¹ values (a kernel of N = 50,000 in fp32 is 10 GB). Heap arrays hold at most 2³¹ − 9 values.
 *
 * <p>Ownership: the constructors and {@link #wrap} keep the array or segment they are given (no copy), so writes
 * through the tensor and through the caller's array are the same writes; the shape is copied. {@link #slice} and
 * {@link #reshape} are views over the same storage. {@link #copy()}, {@link #toPrecision} (when the type changes)
 * and {@link #toDoubleArray()} copy. {@link #data()} and {@link #floatData()} return the kept array itself;
 * {@link #doubles()} and {@link #asMatrix()} share it when the storage is a whole {@code double[]} and copy
 * otherwise. {@link #get} and {@link #at} check
 * every index; {@link #at} and {@link #setAt} take flat row-major indices, {@code long} like the size.
 *
 * <p>Values: float32 storage holds exactly the floats an fp32 computation produced; reading widens them to double
 * exactly; {@link #setAt} rounds to the storage's type. A tensor over a read-only segment (a file mapped read-only)
 * refuses writes.
 */
public final class Tensor {
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final int[] shape;
    private final long size;
    private final boolean float32;
    /** The values as bytes: a heap segment over the kept array, or native or mapped memory. */
    private final MemorySegment segment;
    /** The element layout in {@link #segment}: the storage's type and byte order, unaligned for mapped files. */
    private final ValueLayout layout;
    /** The kept array when the storage is exactly one whole double[] (else null). */
    private final double[] doubles;
    /** The kept array when the storage is exactly one whole float[] (else null). */
    private final float[] floats;

    private Tensor(int[] shape, boolean float32, MemorySegment segment, ValueLayout layout, double[] doubles,
                   float[] floats) {
        this.shape = shape;
        this.size = count(shape);
        this.float32 = float32;
        this.segment = segment;
        this.layout = layout;
        this.doubles = doubles;
        this.floats = floats;
        if (segment.byteSize() != size * width()) {
            throw new InvalidInputException("shape " + Arrays.toString(shape) + " needs " + size + " values, got "
                    + segment.byteSize() / width());
        }
    }

    /**
     * A float64 tensor over an existing array.
     *
     * @param shape the dimensions, each ≥ 0; copied
     * @param data  the values in row-major order, as many as the dimensions' product; kept, not copied
     * @throws InvalidInputException when a dimension is negative or the array's length does not match
     */
    public Tensor(int[] shape, double[] data) {
        this(checkedShape(shape), false, MemorySegment.ofArray(nonNull(data)), ValueLayout.JAVA_DOUBLE, data, null);
    }

    /**
     * A float32 tensor over an existing array.
     *
     * @param shape the dimensions, each ≥ 0; copied
     * @param data  the values in row-major order, as many as the dimensions' product; kept, not copied
     * @throws InvalidInputException when a dimension is negative or the array's length does not match
     */
    public Tensor(int[] shape, float[] data) {
        this(checkedShape(shape), true, MemorySegment.ofArray(nonNull(data)), ValueLayout.JAVA_FLOAT, null, data);
    }

    /**
     * A tensor over a memory segment: native memory, a memory-mapped file, or a heap segment.
     *
     * @param segment the values in row-major order, exactly size · (4 or 8) bytes; kept, not copied (a read-only
     *                segment gives a read-only tensor); it must stay alive (its arena open) while the tensor is used
     * @param float32 whether the values are float32 (else float64)
     * @param order   the values' byte order
     * @param shape   the dimensions, each ≥ 0; copied
     * @return the tensor
     * @throws InvalidInputException when a dimension is negative or the segment's size does not match the shape
     */
    public static Tensor wrap(MemorySegment segment, boolean float32, ByteOrder order, int... shape) {
        if (segment == null || order == null) {
            throw new InvalidInputException("a tensor needs a segment and a byte order");
        }
        ValueLayout layout = (float32 ? ValueLayout.JAVA_FLOAT_UNALIGNED : ValueLayout.JAVA_DOUBLE_UNALIGNED)
                .withOrder(order);
        return new Tensor(checkedShape(shape), float32, segment, layout, null, null);
    }

    /**
     * A float64 tensor of zeros on the heap.
     *
     * @param shape the dimensions, each ≥ 0
     * @return a new tensor with its own array
     * @throws InvalidInputException when a dimension is negative or there would be more than 2^31 values
     */
    public static Tensor zeros(int... shape) {
        return zeros(Precision.FP64, shape);
    }

    /**
     * A tensor of zeros on the heap, stored as the precision computes: float64 for {@link Precision#FP64}, float32
     * for {@link Precision#FP32} and {@link Precision#TF32}.
     *
     * @param precision the precision whose storage type to use
     * @param shape     the dimensions, each ≥ 0
     * @return a new tensor with its own array
     * @throws InvalidInputException when a dimension is negative or there would be more than 2^31 values (use
     *                               {@link #zeros(Precision, Arena, int...)} or tiles)
     */
    public static Tensor zeros(Precision precision, int... shape) {
        int[] s = checkedShape(shape);
        long n = count(s);
        if (n > MAX_ARRAY) {
            throw new InvalidInputException("tensor of shape " + Arrays.toString(s)
                    + " has more than 2^31 elements; allocate it in native memory or compute it in tiles");
        }
        return storesFloat32(precision) ? new Tensor(s, new float[(int) n]) : new Tensor(s, new double[(int) n]);
    }

    /**
     * A tensor of zeros in native memory, of any size (more than 2³¹ values too), stored as
     * {@link #zeros(Precision, int...)} would.
     *
     * @param precision the precision whose storage type to use
     * @param arena     the arena that owns the memory: the tensor is usable while it is open
     * @param shape     the dimensions, each ≥ 0
     * @return a new tensor over a new segment of {@code arena}
     * @throws InvalidInputException when a dimension is negative
     */
    public static Tensor zeros(Precision precision, Arena arena, int... shape) {
        int[] s = checkedShape(shape);
        boolean f32 = storesFloat32(precision);
        MemorySegment seg = arena.allocate(count(s) * (f32 ? 4 : 8), 8);
        return wrap(seg, f32, ByteOrder.nativeOrder(), s);
    }

    private static boolean storesFloat32(Precision precision) {
        if (precision == null) {
            throw new InvalidInputException("a precision must be given");
        }
        return precision != Precision.FP64;
    }

    private static <T> T nonNull(T data) {
        if (data == null) {
            throw new InvalidInputException("a tensor needs a shape and data");
        }
        return data;
    }

    private static int[] checkedShape(int[] shape) {
        count(shape);
        return shape.clone();
    }

    /**
     * The number of values of a shape: the product of its dimensions.
     *
     * @param shape the dimensions, each ≥ 0
     * @return the product (0 when a dimension is 0)
     * @throws InvalidInputException when the shape is missing, a dimension is negative, or the values' bytes would
     *                               not fit a {@code long}
     */
    public static long count(int... shape) {
        if (shape == null) {
            throw new InvalidInputException("a tensor needs a shape and data");
        }
        boolean empty = false;
        for (int s : shape) {
            if (s < 0) {
                throw new InvalidInputException("negative dimension in shape " + Arrays.toString(shape));
            }
            empty |= s == 0;
        }
        if (empty) {
            return 0;
        }
        long n = 1;
        for (int s : shape) {
            if (n > Long.MAX_VALUE / 8 / s) {
                throw new InvalidInputException("shape " + Arrays.toString(shape) + " has too many values to address");
            }
            n *= s;
        }
        return n;
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
     * The number of values.
     *
     * @return the product of the dimensions (may exceed 2³¹ for segment storage)
     */
    public long size() {
        return size;
    }

    /**
     * Whether the values are stored as float32 (else float64).
     *
     * @return true for float32 storage
     */
    public boolean float32() {
        return float32;
    }

    /**
     * Whether writes are refused (the storage is a read-only segment, e.g. a file mapped read-only).
     *
     * @return true when read-only
     */
    public boolean isReadOnly() {
        return segment.isReadOnly();
    }

    /**
     * The values in row-major order, when the storage is one whole {@code double[]} (a float64 tensor made from an
     * array or by {@link #zeros(int...)}).
     *
     * @return the kept array itself (not a copy): writes are visible
     * @throws IllegalStateException when the storage is float32, a segment or a view; {@link #toDoubleArray()}
     *                               copies any tensor
     */
    public double[] data() {
        if (doubles == null) {
            throw new IllegalStateException(this + " is not stored in one double[]; toDoubleArray() copies its values");
        }
        return doubles;
    }

    /**
     * The values as doubles, for reading: {@link #data()} when the storage is one whole {@code double[]}, else
     * {@link #toDoubleArray()}.
     *
     * @return the kept array itself (writes are visible) or a new array of the values widened (writes are not)
     * @throws InvalidInputException when a copy is needed and there are more than 2³¹ values
     */
    public double[] doubles() {
        return doubles != null ? doubles : toDoubleArray();
    }

    /**
     * The values in row-major order, when the storage is one whole {@code float[]}.
     *
     * @return the kept array itself (not a copy): writes are visible
     * @throws IllegalStateException when the storage is float64, a segment or a view
     */
    public float[] floatData() {
        if (floats == null) {
            throw new IllegalStateException(this + " is not stored in one float[]");
        }
        return floats;
    }

    /**
     * The storage as a memory segment: a heap segment over the kept array, or the native or mapped segment.
     *
     * @return the segment itself (not a copy): writes are visible; read-only when the tensor is
     */
    public MemorySegment segment() {
        return segment;
    }

    /**
     * The byte order of the values in {@link #segment()}.
     *
     * @return the order (the platform's for heap arrays)
     */
    public ByteOrder order() {
        return layout.order();
    }

    /**
     * The flat row-major index of a multi-index, as an int: the position in {@link #data()} or
     * {@link #floatData()}. {@link #get} and {@link #set} take multi-indices at any position.
     *
     * @param idx one index per dimension
     * @return the position in row-major order
     * @throws InvalidInputException     when the number of indices is not the rank
     * @throws IndexOutOfBoundsException when an index lies outside its dimension
     * @throws ArithmeticException       when the position is 2³¹ or more (only in a segment)
     */
    public int index(int... idx) {
        return Math.toIntExact(flat(idx));
    }

    private long flat(int[] idx) {
        if (idx.length != shape.length) {
            throw new InvalidInputException("index of rank " + idx.length + " for a tensor of rank " + shape.length);
        }
        long k = 0;
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " outside " + Arrays.toString(shape));
            }
            k = k * shape[i] + idx[i];
        }
        return k;
    }

    /**
     * The value at a multi-index, checked like {@link #index}; float32 values are widened exactly.
     *
     * @param idx one index per dimension
     * @return the value
     * @throws InvalidInputException     when the number of indices is not the rank
     * @throws IndexOutOfBoundsException when an index lies outside its dimension
     */
    public double get(int... idx) {
        return read(flat(idx));
    }

    /**
     * Sets the value at a multi-index, checked like {@link #index}, rounded to float when the storage is float32.
     *
     * @param value the new value
     * @param idx   one index per dimension
     * @throws InvalidInputException         when the number of indices is not the rank
     * @throws IndexOutOfBoundsException     when an index lies outside its dimension
     * @throws UnsupportedOperationException when the tensor is read-only
     */
    public void set(double value, int... idx) {
        setAt(flat(idx), value);
    }

    /**
     * The value at a flat row-major index; float32 values are widened exactly.
     *
     * @param flat in [0, size)
     * @return the value
     * @throws IndexOutOfBoundsException when the index lies outside the tensor
     */
    public double at(long flat) {
        return read(checked(flat));
    }

    /**
     * Sets the value at a flat row-major index, rounded to float when the storage is float32.
     *
     * @param flat  in [0, size)
     * @param value the new value
     * @throws IndexOutOfBoundsException     when the index lies outside the tensor
     * @throws UnsupportedOperationException when the tensor is read-only
     */
    public void setAt(long flat, double value) {
        checked(flat);
        if (segment.isReadOnly()) {
            throw new UnsupportedOperationException(this + " is read-only (a file mapped for reading)");
        }
        if (doubles != null) {
            doubles[(int) flat] = value;
        } else if (floats != null) {
            floats[(int) flat] = (float) value;
        } else if (float32) {
            segment.set((ValueLayout.OfFloat) layout, flat * 4, (float) value);
        } else {
            segment.set((ValueLayout.OfDouble) layout, flat * 8, value);
        }
    }

    private long checked(long flat) {
        if (flat < 0 || flat >= size) {
            throw new IndexOutOfBoundsException("flat index " + flat + " outside " + this + " of " + size + " values");
        }
        return flat;
    }

    private double read(long flat) {
        if (doubles != null) {
            return doubles[(int) flat];
        }
        if (floats != null) {
            return floats[(int) flat];
        }
        return float32 ? segment.get((ValueLayout.OfFloat) layout, flat * 4)
                : segment.get((ValueLayout.OfDouble) layout, flat * 8);
    }

    private int width() {
        return float32 ? 4 : 8;
    }

    /**
     * Entries [from, to) along the first axis (rows of a matrix, examples of a batch), as a view.
     *
     * @param from the first entry, in [0, dim(0)]
     * @param to   one past the last, in [from, dim(0)]
     * @return a tensor of shape (to − from, …) over the same storage: writes to either are visible in both
     * @throws InvalidInputException     when the tensor has rank 0
     * @throws IndexOutOfBoundsException when the range does not lie within the first axis
     */
    public Tensor slice(int from, int to) {
        if (shape.length == 0) {
            throw new InvalidInputException("a scalar has no axis to slice");
        }
        if (from < 0 || to < from || to > shape[0]) {
            throw new IndexOutOfBoundsException("[" + from + ", " + to + ") outside the first axis of " + this);
        }
        int[] s = shape.clone();
        s[0] = to - from;
        long stride = shape[0] == 0 ? 0 : size / shape[0] * width();
        if (from == 0 && to == shape[0]) {
            return new Tensor(s, float32, segment, layout, doubles, floats);
        }
        return new Tensor(s, float32, segment.asSlice(from * stride, (to - from) * stride), layout, null, null);
    }

    /**
     * The same values under another shape with as many values, as a view.
     *
     * @param newShape the dimensions, each ≥ 0; copied
     * @return a tensor over the same storage: writes to either are visible in both
     * @throws InvalidInputException when the shapes differ in their number of values
     */
    public Tensor reshape(int... newShape) {
        int[] s = checkedShape(newShape);
        if (count(s) != size) {
            throw new InvalidInputException("cannot reshape " + this + " (" + size + " values) to "
                    + Arrays.toString(s));
        }
        return new Tensor(s, float32, segment, layout, doubles, floats);
    }

    /**
     * A copy on the heap, of the same type.
     *
     * @return a new tensor with its own array, equal to this one
     * @throws InvalidInputException when there are more than 2³¹ values
     */
    public Tensor copy() {
        return convert(float32);
    }

    /**
     * The values stored as the precision computes ({@link #zeros(Precision, int...)}): this tensor itself when its
     * storage already has that type, else a copy on the heap (float64 values rounded to float32, or float32 values
     * widened).
     *
     * @param precision the precision whose storage type to use
     * @return this tensor, or a new one with its own array
     * @throws InvalidInputException when a copy is needed and there are more than 2³¹ values
     */
    public Tensor toPrecision(Precision precision) {
        boolean f32 = storesFloat32(precision);
        return f32 == float32 ? this : convert(f32);
    }

    private Tensor convert(boolean toFloat32) {
        int n = heapLength();
        if (toFloat32) {
            float[] f = new float[n];
            if (float32) {
                MemorySegment.copy(segment, layout, 0, f, 0, n);
            } else {
                for (int i = 0; i < n; i++) {
                    f[i] = (float) read(i);
                }
            }
            return new Tensor(shape, f);
        }
        return new Tensor(shape, toDoubleArray());
    }

    /**
     * The values widened to double, in a new array.
     *
     * @return a new array of {@link #size()} values (a copy even when the storage is a double[])
     * @throws InvalidInputException when there are more than 2³¹ values
     */
    public double[] toDoubleArray() {
        int n = heapLength();
        double[] d = new double[n];
        if (!float32) {
            MemorySegment.copy(segment, layout, 0, d, 0, n);
        } else if (floats != null) {
            for (int i = 0; i < n; i++) {
                d[i] = floats[i];
            }
        } else {
            for (int i = 0; i < n; i++) {
                d[i] = read(i);
            }
        }
        return d;
    }

    private int heapLength() {
        if (size > MAX_ARRAY) {
            throw new InvalidInputException(this + " has " + size + " values, more than one Java array holds");
        }
        return (int) size;
    }

    /**
     * A rank-2 tensor as a matrix of doubles (a rank-1 tensor of N values is {@link #reshape reshaped} to (N, 1)
     * first by the caller when that is meant).
     *
     * @return a matrix over the same array when the storage is one whole double[] (writes to either are visible in
     *         both); else a new matrix of the values widened to double
     * @throws InvalidInputException when the rank is not 2, or a copy is needed and there are more than 2³¹ values
     */
    public Matrix asMatrix() {
        if (shape.length != 2) {
            throw new InvalidInputException("tensor of shape " + Arrays.toString(shape) + " is not a matrix");
        }
        return new Matrix(shape[0], shape[1], doubles());
    }

    /**
     * ‖this − reference‖_F / ‖reference‖_F, the relative Frobenius distance (e.g. a kernel's drift from its value at
     * initialisation, or an fp32 kernel's distance from the fp64 one); ‖this − reference‖_F when the reference is
     * zero. Either tensor may be of either type.
     *
     * @param reference a tensor of the same shape
     * @return the relative distance, ≥ 0
     * @throws InvalidInputException when the shapes differ
     */
    public double relativeDistance(Tensor reference) {
        if (reference == null || !Arrays.equals(reference.shape, shape)) {
            throw new InvalidInputException("tensors of shapes " + Arrays.toString(shape) + " and "
                    + (reference == null ? "null" : Arrays.toString(reference.shape)) + " cannot be compared");
        }
        double num = 0;
        double den = 0;
        if (doubles != null && reference.doubles != null) {
            double[] y = reference.doubles;
            for (int i = 0; i < doubles.length; i++) {
                double d = doubles[i] - y[i];
                num += d * d;
                den += y[i] * y[i];
            }
        } else {
            for (long i = 0; i < size; i++) {
                double y = reference.read(i);
                double d = read(i) - y;
                num += d * d;
                den += y * y;
            }
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /**
     * Equal shapes, equal storage types and equal values, compared as {@link Arrays#equals(double[], double[])}
     * does (NaN equals NaN, 0.0 ≠ −0.0), whatever holds them (heap array, native or mapped segment, view). A float32
     * tensor never equals a float64 one: compare across types with {@link #relativeDistance}.
     */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Tensor t) || t.float32 != float32 || !Arrays.equals(t.shape, shape)) {
            return false;
        }
        if (doubles != null && t.doubles != null) {
            return Arrays.equals(doubles, t.doubles);
        }
        if (floats != null && t.floats != null) {
            return Arrays.equals(floats, t.floats);
        }
        for (long i = 0; i < size; i++) {
            if (float32 ? Float.floatToIntBits((float) read(i)) != Float.floatToIntBits((float) t.read(i))
                    : Double.doubleToLongBits(read(i)) != Double.doubleToLongBits(t.read(i))) {
                return false;
            }
        }
        return true;
    }

    /** A hash of the shape, the type and the values, consistent with {@link #equals}. */
    @Override
    public int hashCode() {
        int h = 31 * Arrays.hashCode(shape) + Boolean.hashCode(float32);
        for (long i = 0; i < size; i++) {
            double v = read(i);
            h = 31 * h + (float32 ? Float.hashCode((float) v) : Double.hashCode(v));
        }
        return h;
    }

    /** The shape, e.g. {@code Tensor[3, 3, 2, 2]}, with {@code float32} after it for float32 storage (not the values). */
    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape) + (float32 ? " float32" : "");
    }
}

package org.ntk4j.tiling;

import java.lang.foreign.MemorySegment;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.internal.KernelArrays;

/**
 * Puts the tiles of a {@link TilePlan} where they belong in the whole kernel, in pair layout (n1, n2, …) of a mode:
 * each tile's rows, and for a tile that stands for its transpose too ({@link TilePlan.Tile#mirrored()}) its
 * columns as rows of the tile below the diagonal, each O×O block transposed in {@link NtkMode#FULL}. The kernel is
 * written through a {@link Sink}: an array ({@link #into}) or a file. Tiles keep their storage type on the way: a
 * float32 tile reaches the sink as float32 values (its transpose too), never widened to double here.
 *
 * @param <E> what the sink may throw ({@link RuntimeException} for an array)
 */
public final class TilePlacer<E extends Exception> {
    /** Columns transposed together: reads of the tile stay within cache lines, the buffer stays small. */
    private static final int TRANSPOSE_BLOCK = 32;

    /**
     * Where the kernel's values go: runs of consecutive values at flat indices of the whole kernel.
     *
     * @param <E> what writing may throw
     */
    @FunctionalInterface
    public interface Sink<E extends Exception> {
        /**
         * Writes values[from, from + count) (flat indices) at flat index {@code index} of the kernel.
         *
         * @param index  the kernel's flat index of the first value
         * @param values the values, float32 or float64 as the tile was computed
         * @param from   the first value to write
         * @param count  how many
         * @throws E when the kernel's storage fails
         */
        void write(long index, Tensor values, long from, int count) throws E;
    }

    private final TilePlan plan;
    private final NtkMode mode;
    private final int outputs;
    private final int valuesPerPair;
    private final Sink<E> sink;
    /** The transposed columns of a tile, of the tile's storage type. */
    private Tensor buffer;

    /**
     * A placer for one kernel.
     *
     * @param plan    the kernel's tiling
     * @param mode    the kernel's mode
     * @param outputs O, the network's outputs
     * @param sink    where the kernel's values go
     */
    public TilePlacer(TilePlan plan, NtkMode mode, int outputs, Sink<E> sink) {
        this.plan = plan;
        this.mode = mode;
        this.outputs = outputs;
        this.valuesPerPair = mode.valuesPerPair(outputs);
        this.sink = sink;
    }

    /**
     * A sink that writes into an array holding the whole kernel (float32 tiles widened exactly).
     *
     * @param kernel the kernel's n1·n2·values-per-pair values, changed
     * @return the sink
     */
    public static Sink<RuntimeException> into(double[] kernel) {
        return into(new Tensor(new int[] {kernel.length}, kernel));
    }

    /**
     * A sink that writes into a tensor holding the whole kernel: values of its storage type copied as they are,
     * others rounded to float32 or widened to float64 one by one.
     *
     * @param kernel the kernel's n1·n2·values-per-pair values (any shape), changed
     * @return the sink
     */
    public static Sink<RuntimeException> into(Tensor kernel) {
        return (index, values, from, count) -> {
            if (values.float32() == kernel.float32()) {
                long width = kernel.float32() ? Float.BYTES : Double.BYTES;
                MemorySegment.copy(values.segment(), KernelArrays.elementLayout(values), from * width,
                        kernel.segment(), KernelArrays.elementLayout(kernel), index * width, count);
            } else {
                for (int k = 0; k < count; k++) {
                    kernel.setAt(index + k, values.at(from + k));
                }
            }
        };
    }

    /**
     * Writes tile t, and its transpose below the diagonal when it stands for it.
     *
     * @param t      a tile of the plan
     * @param values the tile's values in pair layout (t.rows, t.cols, …)
     * @throws E                        when the sink fails
     * @throws IllegalArgumentException when {@code values} does not have the tile's size
     */
    public void place(TilePlan.Tile t, double[] values) throws E {
        place(t, new Tensor(new int[] {values.length}, values));
    }

    /**
     * Writes tile t, and its transpose below the diagonal when it stands for it, in the tile's storage type.
     *
     * @param t      a tile of the plan
     * @param values the tile's values in pair layout (t.rows, t.cols, …), of any shape with that many values
     * @throws E                        when the sink fails
     * @throws IllegalArgumentException when {@code values} does not have the tile's size
     */
    public void place(TilePlan.Tile t, Tensor values) throws E {
        int v = valuesPerPair;
        if (values.size() != (long) t.rows() * t.cols() * v) {
            throw new IllegalArgumentException("tile (" + t.i() + ", " + t.j() + ") has " + values.size()
                    + " values, expected " + t.rows() + " × " + t.cols() + " × " + v);
        }
        for (int r = 0; r < t.rows(); r++) {
            sink.write(plan.offset(t.row0() + r, t.col0(), v), values, (long) r * t.cols() * v, t.cols() * v);
        }
        if (t.mirrored()) {
            placeTransposed(t, values);
        }
    }

    /** Row col0 + c of the kernel gets column c of the tile, gathered {@link #TRANSPOSE_BLOCK} columns at a time. */
    private void placeTransposed(TilePlan.Tile t, Tensor values) throws E {
        int stride = t.rows() * valuesPerPair;
        int need = Math.min(TRANSPOSE_BLOCK, t.cols()) * stride;
        if (buffer == null || buffer.size() < need || buffer.float32() != values.float32()) {
            buffer = values.float32() ? new Tensor(new int[] {need}, new float[need])
                    : new Tensor(new int[] {need}, new double[need]);
        }
        for (int c0 = 0; c0 < t.cols(); c0 += TRANSPOSE_BLOCK) {
            int cn = Math.min(TRANSPOSE_BLOCK, t.cols() - c0);
            KernelArrays.transposePairs(values, t.cols(), 0, c0, t.rows(), cn, mode, outputs, buffer, t.rows(), 0, 0);
            for (int cc = 0; cc < cn; cc++) {
                sink.write(plan.offset(t.col0() + c0 + cc, t.row0(), valuesPerPair), buffer, (long) cc * stride, stride);
            }
        }
    }
}

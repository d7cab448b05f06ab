package org.ntk4j.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.ntk4j.InvalidInputException;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;

/**
 * The moves between a kernel's layouts ({@link org.ntk4j.KernelLayout} describes them) on raw arrays with offsets:
 * the mirrors, block copies and reorders every backend, the infinite-width kernel and the tilers share, so each move
 * is written (and tested) once. Internal: exported only to the modules that tile kernels.
 *
 * <p>Every method works in place on arrays the caller passes and keeps no reference to them. Sizes and offsets are
 * checked before anything is written: a region that does not fit its array is an {@link InvalidInputException}.
 */
public final class KernelArrays {
    /** Side of the square blocks a mirror walks in, so reads and writes both stay within cache lines. */
    private static final int BLOCK = 64;

    private KernelArrays() {
    }

    // ---- mirror of an upper triangle -------------------------------------------------------------------------------

    /**
     * Copies the strict upper triangle of the n×n row-major matrix at {@code offset} onto its lower triangle:
     * {@code a[offset + j·n + i] = a[offset + i·n + j]} for every i &lt; j.
     *
     * @param a      the matrix's array, changed in place
     * @param offset where the matrix starts in {@code a}
     * @param n      the matrix's side
     */
    public static void mirrorUpper(double[] a, int offset, int n) {
        mirrorUpperRows(a, offset, n, 0, n);
    }

    /**
     * {@link #mirrorUpper} for the rows [rowFrom, rowTo) of the upper triangle only: writes exactly the lower-triangle
     * entries in columns [rowFrom, rowTo). Disjoint row ranges write disjoint entries, so they may run in parallel.
     *
     * @param a       the matrix's array, changed in place
     * @param offset  where the matrix starts in {@code a}
     * @param n       the matrix's side
     * @param rowFrom first row whose upper-triangle entries are copied
     * @param rowTo   one past the last such row
     */
    public static void mirrorUpperRows(double[] a, int offset, int n, int rowFrom, int rowTo) {
        requireRegion(a, "matrix", offset, (long) n * n);
        requireRange(rowFrom, rowTo, n, "rows");
        for (int i0 = rowFrom; i0 < rowTo; i0 += BLOCK) {
            int i1 = Math.min(rowTo, i0 + BLOCK);
            for (int j0 = i0; j0 < n; j0 += BLOCK) {
                int j1 = Math.min(n, j0 + BLOCK);
                for (int i = i0; i < i1; i++) {
                    int row = offset + i * n;
                    for (int j = Math.max(j0, i + 1); j < j1; j++) {
                        a[offset + j * n + i] = a[row + j];
                    }
                }
            }
        }
    }

    /**
     * Completes a symmetric kernel Θ(x, x) in pair layout, shape (n, n, …) in {@code mode}, whose pairs i ≤ j are
     * set: pair (j, i) becomes pair (i, j) for i &lt; j, its O×O block transposed in {@link NtkMode#FULL}; in FULL
     * the diagonal pairs' blocks are mirrored too (Θ_ba(x_i, x_i) = Θ_ab(x_i, x_i) for a &lt; b).
     *
     * @param kernel  the kernel's array, n·n·{@code mode.valuesPerPair(outputs)} values, changed in place
     * @param n       examples on each side
     * @param mode    the kernel's mode
     * @param outputs O, the network's output count
     */
    public static void mirrorUpperPairs(double[] kernel, int n, NtkMode mode, int outputs) {
        requireMode(mode, outputs);
        int v = mode.valuesPerPair(outputs);
        requireRegion(kernel, "kernel", 0, (long) n * n * v);
        for (int i = 0; i < n; i++) {
            if (mode == NtkMode.FULL) {
                mirrorUpper(kernel, (i * n + i) * v, outputs);
            }
            for (int j = i + 1; j < n; j++) {
                int src = (i * n + j) * v;
                int dst = (j * n + i) * v;
                if (mode == NtkMode.FULL) {
                    transposeBlock(kernel, src, kernel, dst, outputs);
                } else {
                    System.arraycopy(kernel, src, kernel, dst, v);
                }
            }
        }
    }

    // ---- copies of tiles in pair layout ----------------------------------------------------------------------------

    /**
     * Copies a rows × cols block of pairs from one kernel in pair layout to another: destination pair
     * (dstRow0 + r, dstCol0 + c) gets source pair (srcRow0 + r, srcCol0 + c).
     *
     * @param src            the source kernel's array
     * @param srcPairsPerRow pairs in one row of the source (its N2)
     * @param srcRow0        first source row of the block
     * @param srcCol0        first source column of the block
     * @param rows           rows of pairs in the block
     * @param cols           columns of pairs in the block
     * @param valuesPerPair  values of one pair ({@link NtkMode#valuesPerPair})
     * @param dst            the destination kernel's array, changed
     * @param dstPairsPerRow pairs in one row of the destination
     * @param dstRow0        destination row of the block's first row
     * @param dstCol0        destination column of the block's first column
     */
    public static void copyPairs(double[] src, int srcPairsPerRow, int srcRow0, int srcCol0, int rows, int cols,
                                 int valuesPerPair, double[] dst, int dstPairsPerRow, int dstRow0, int dstCol0) {
        requireBlock(src, "source", srcPairsPerRow, srcRow0, srcCol0, rows, cols, valuesPerPair);
        requireBlock(dst, "destination", dstPairsPerRow, dstRow0, dstCol0, rows, cols, valuesPerPair);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(src, ((srcRow0 + r) * srcPairsPerRow + srcCol0) * valuesPerPair,
                    dst, ((dstRow0 + r) * dstPairsPerRow + dstCol0) * valuesPerPair, cols * valuesPerPair);
        }
    }

    /**
     * Writes the transpose of a rows × cols block of pairs: destination pair (dstRow0 + c, dstCol0 + r) gets source
     * pair (srcRow0 + r, srcCol0 + c), its O×O block transposed in {@link NtkMode#FULL}. This is Θ(x', x) from
     * Θ(x, x'), since Θ_ab(x, x') = Θ_ba(x', x): how a tile above the diagonal of a symmetric kernel fills the tile
     * below it. Source and destination are flat row-major tensors of either storage type, float32 or float64 (a
     * float32 tile stays in float storage, no value widened), both of the same type.
     *
     * @param src            the source kernel's values
     * @param srcPairsPerRow pairs in one row of the source (its N2)
     * @param srcRow0        first source row of the block
     * @param srcCol0        first source column of the block
     * @param rows           rows of pairs in the source block (columns in the destination)
     * @param cols           columns of pairs in the source block (rows in the destination)
     * @param mode           the kernel's mode
     * @param outputs        O, the network's output count
     * @param dst            the destination kernel's values, changed
     * @param dstPairsPerRow pairs in one row of the destination
     * @param dstRow0        destination row of the source block's first column
     * @param dstCol0        destination column of the source block's first row
     */
    public static void transposePairs(Tensor src, int srcPairsPerRow, int srcRow0, int srcCol0, int rows, int cols,
                                      NtkMode mode, int outputs, Tensor dst, int dstPairsPerRow, int dstRow0,
                                      int dstCol0) {
        requireMode(mode, outputs);
        int v = mode.valuesPerPair(outputs);
        requireBlock(src == null ? -1 : src.size(), "source", srcPairsPerRow, srcRow0, srcCol0, rows, cols, v);
        requireBlock(dst == null ? -1 : dst.size(), "destination", dstPairsPerRow, dstRow0, dstCol0, cols, rows, v);
        if (src.float32() != dst.float32()) {
            throw new InvalidInputException("source and destination differ in type (float32 " + src.float32()
                    + " and " + dst.float32() + ")");
        }
        MemorySegment s = src.segment();
        MemorySegment d = dst.segment();
        // constant layouts where both are in the platform's order (every heap tensor): the accesses compile to plain
        // loads and stores; any other order goes value by value through the tensors
        int kind = src.order() != ByteOrder.nativeOrder() || dst.order() != ByteOrder.nativeOrder() ? OTHER
                : src.float32() ? FLOATS : DOUBLES;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                long from = ((long) (srcRow0 + r) * srcPairsPerRow + srcCol0 + c) * v;
                long to = ((long) (dstRow0 + c) * dstPairsPerRow + dstCol0 + r) * v;
                if (mode == NtkMode.FULL) {
                    for (int a = 0; a < outputs; a++) {
                        for (int b = 0; b < outputs; b++) {
                            copyValue(kind, src, s, from + a * outputs + b, dst, d, to + b * outputs + a);
                        }
                    }
                } else {
                    for (int q = 0; q < v; q++) {
                        copyValue(kind, src, s, from + q, dst, d, to + q);
                    }
                }
            }
        }
    }

    /**
     * The layout of one value in a tensor's {@link Tensor#segment()}: its storage type in its byte order,
     * unaligned (a mapped file's values need not be aligned).
     *
     * @param t a tensor
     * @return {@code JAVA_FLOAT_UNALIGNED} or {@code JAVA_DOUBLE_UNALIGNED} in t's byte order
     */
    public static ValueLayout elementLayout(Tensor t) {
        return t.float32() ? ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(t.order())
                : ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(t.order());
    }

    // ---- matrix layout ↔ pair layout (FULL) ------------------------------------------------------------------------

    /**
     * Rows of examples [rowFrom, rowTo) of a full kernel from matrix layout (N1·O)×(N2·O) to pair layout
     * (N1, N2, O, O). Disjoint row ranges write disjoint values, so they may run in parallel.
     *
     * @param matrix  the kernel in matrix layout, (N1·O)·(N2·O) values, read
     * @param n1      N1
     * @param n2      N2
     * @param outputs O
     * @param full    the kernel in pair layout, the same number of values, written
     * @param rowFrom first example row (of N1) converted
     * @param rowTo   one past the last example row converted
     */
    public static void matrixToFull(double[] matrix, int n1, int n2, int outputs, double[] full, int rowFrom,
                                    int rowTo) {
        reorder(matrix, n1, n2, outputs, full, rowFrom, rowTo, true);
    }

    /**
     * Rows of examples [rowFrom, rowTo) of a full kernel from pair layout (N1, N2, O, O) to matrix layout
     * (N1·O)×(N2·O). Disjoint row ranges write disjoint values, so they may run in parallel.
     *
     * @param full    the kernel in pair layout, N1·N2·O·O values, read
     * @param n1      N1
     * @param n2      N2
     * @param outputs O
     * @param matrix  the kernel in matrix layout, the same number of values, written
     * @param rowFrom first example row (of N1) converted
     * @param rowTo   one past the last example row converted
     */
    public static void fullToMatrix(double[] full, int n1, int n2, int outputs, double[] matrix, int rowFrom,
                                    int rowTo) {
        reorder(full, n1, n2, outputs, matrix, rowFrom, rowTo, false);
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    /** One o×o block transposed: dst[b][a] = src[a][b] (src and dst may be the same array, not the same block). */
    private static void transposeBlock(double[] src, int from, double[] dst, int to, int o) {
        for (int a = 0; a < o; a++) {
            for (int b = 0; b < o; b++) {
                dst[to + b * o + a] = src[from + a * o + b];
            }
        }
    }

    private static final int FLOATS = 0;
    private static final int DOUBLES = 1;
    private static final int OTHER = 2;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    /** Value {@code from} of src (segment s) to value {@code to} of dst (segment d), of the same type. */
    private static void copyValue(int kind, Tensor src, MemorySegment s, long from, Tensor dst, MemorySegment d,
                                  long to) {
        switch (kind) {
            case FLOATS -> d.setAtIndex(F, to, s.getAtIndex(F, from));
            case DOUBLES -> d.setAtIndex(D, to, s.getAtIndex(D, from));
            default -> dst.setAt(to, src.at(from));
        }
    }

    /** Matrix layout → pair layout ({@code toFull}) or back, for example rows [rowFrom, rowTo). */
    private static void reorder(double[] src, int n1, int n2, int o, double[] dst, int rowFrom, int rowTo,
                                boolean toFull) {
        if (o < 1 || n1 < 0 || n2 < 0) {
            throw new InvalidInputException("kernel sizes must be N1, N2 ≥ 0 and O ≥ 1, got (" + n1 + ", " + n2 + ", "
                    + o + ")");
        }
        long size = (long) n1 * n2 * o * o;
        requireRegion(src, "source kernel", 0, size);
        requireRegion(dst, "destination kernel", 0, size);
        requireRange(rowFrom, rowTo, n1, "rows");
        int cols = n2 * o;
        for (int i = rowFrom; i < rowTo; i++) {
            for (int a = 0; a < o; a++) {
                int matrixRow = (i * o + a) * cols;
                for (int j = 0; j < n2; j++) {
                    int pair = ((i * n2 + j) * o + a) * o;
                    if (toFull) {
                        System.arraycopy(src, matrixRow + j * o, dst, pair, o);
                    } else {
                        System.arraycopy(src, pair, dst, matrixRow + j * o, o);
                    }
                }
            }
        }
    }

    private static void requireMode(NtkMode mode, int outputs) {
        if (mode == null) {
            throw new InvalidInputException("mode must be given");
        }
        if (outputs < 1) {
            throw new InvalidInputException("output count must be at least 1, got " + outputs);
        }
    }

    private static void requireRange(int from, int to, int n, String what) {
        if (from < 0 || to < from || to > n) {
            throw new InvalidInputException(what + " [" + from + ", " + to + ") are not within [0, " + n + ")");
        }
    }

    private static void requireRegion(double[] a, String what, long offset, long length) {
        if (a == null) {
            throw new InvalidInputException(what + " array must be given");
        }
        if (offset < 0 || length < 0 || offset + length > a.length) {
            throw new InvalidInputException(what + " region [" + offset + ", " + (offset + length)
                    + ") does not fit its array of " + a.length + " values");
        }
    }

    private static void requireBlock(double[] a, String what, int pairsPerRow, int row0, int col0, int rows, int cols,
                                     int valuesPerPair) {
        if (a == null) {
            throw new InvalidInputException(what + " array must be given");
        }
        requireBlock(a.length, what, pairsPerRow, row0, col0, rows, cols, valuesPerPair);
    }

    /** As above for {@code length} values; a negative length means none were given. */
    private static void requireBlock(long length, String what, int pairsPerRow, int row0, int col0, int rows, int cols,
                                     int valuesPerPair) {
        if (length < 0) {
            throw new InvalidInputException(what + " must be given");
        }
        if (pairsPerRow < 0 || row0 < 0 || col0 < 0 || rows < 0 || cols < 0 || valuesPerPair < 1
                || (long) col0 + cols > pairsPerRow) {
            throw new InvalidInputException(what + " block of " + rows + " × " + cols + " pairs at (" + row0 + ", "
                    + col0 + ") does not fit rows of " + pairsPerRow + " pairs of " + valuesPerPair + " values");
        }
        if (rows > 0 && cols > 0) {
            long end = ((long) (row0 + rows - 1) * pairsPerRow + col0 + cols) * valuesPerPair;
            if (end > length) {
                throw new InvalidInputException(what + " region [0, " + end + ") does not fit its " + length
                        + " values");
            }
        }
    }
}

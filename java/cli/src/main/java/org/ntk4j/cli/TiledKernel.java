package org.ntk4j.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.io.Npy;
import org.ntk4j.io.NpyArray;
import org.ntk4j.io.OutputFile;

/**
 * Computes a kernel that may not fit in memory: in tiles of x1 × x2 rows sized to a memory budget, each streamed
 * into a memory-mapped .npy. When x2 is x1 only the upper-triangle tiles are computed; each off-diagonal tile is
 * also written transposed (Θ_ab(x, x') = Θ_ba(x', x)). When the whole kernel fits the budget it is computed in one
 * call and written directly.
 */
final class TiledKernel {
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    /** How the work is split: one call, or tiles of tile1 × tile2 rows, with a mapped window of windowBytes. */
    record Plan(boolean inMemory, int n1, int n2, int tile1, int tile2, boolean symmetric, long windowBytes) {
        int blocks1() {
            return (n1 + tile1 - 1) / tile1;
        }

        int blocks2() {
            return (n2 + tile2 - 1) / tile2;
        }

        /** Tiles computed (upper triangle only when symmetric). */
        long tiles() {
            long b1 = blocks1();
            return symmetric ? b1 * (b1 + 1) / 2 : b1 * blocks2();
        }
    }

    private TiledKernel() {
    }

    /**
     * Splits the work so that the result values in memory (held as doubles, counted twice for the backend's own
     * copy) plus the scratch per pair, the working memory of the examples in flight and the mapped window fit in
     * {@code budget} bytes next to the {@code fixedBytes} already held (inputs, parameters).
     */
    static Plan plan(int n1, int n2, boolean symmetric, int valuesPerPair, long perExample, long perPair, long budget,
                     long fixedBytes) {
        long available = budget - fixedBytes;
        long perValue = 16;
        long total = (long) n1 * n2 * valuesPerPair;
        long pairBytes = valuesPerPair * perValue + perPair;
        long whole = (long) n1 * n2 * pairBytes + (long) (symmetric ? n1 : n1 + n2) * perExample;
        if (total <= MAX_ARRAY && whole <= available) {
            return new Plan(true, n1, n2, n1, n2, symmetric, 0);
        }
        long window = Math.max(4096, Math.min(256L << 20, available / 8));
        long room = available - window;
        // Square tiles first: b²·pairBytes + 2·b·perExample ≤ room.
        double a = pairBytes;
        double bq = (-2.0 * perExample + Math.sqrt(4.0 * perExample * perExample + 4 * a * room)) / (2 * a);
        long b = room <= 0 ? 0 : (long) Math.floor(bq);
        b = Math.min(b, (long) Math.sqrt((double) MAX_ARRAY / valuesPerPair));
        if (b < 1) {
            throw new UsageError("--memory " + Converters.formatBytes(budget) + " is too small: the inputs take "
                    + Converters.formatBytes(fixedBytes) + " and one pair of examples needs about "
                    + Converters.formatBytes(window + 2 * perExample + pairBytes) + " more");
        }
        if (symmetric) {
            int t = (int) Math.min(b, n1);
            return new Plan(false, n1, n2, t, t, true, window);
        }
        int t2 = (int) Math.min(b, n2);
        // With x2 narrower than a square tile, let the tiles grow along x1.
        long t1 = (room - t2 * perExample) / ((long) t2 * pairBytes + perExample);
        t1 = Math.min(Math.min(t1, n1), MAX_ARRAY / ((long) t2 * valuesPerPair));
        return new Plan(false, n1, n2, (int) Math.max(1, Math.max(t1, Math.min(b, n1))), t2, false, window);
    }

    /**
     * Computes Θ(x1, x2) (x2 null: Θ(x1, x1)) by the plan and writes it into {@code out} as .npy; progress (tiles,
     * rate, ETA) goes to {@code progress} when not null and there is more than one tile. Every block is checked
     * for overflow before it is written ({@code overflowAdvice} says what to change). A tiled plan needs a regular
     * file (it is memory-mapped).
     */
    static void write(KernelSource source, Matrix x1, Matrix x2, NtkMode mode, Plan plan, OutputFile out,
                      boolean float32, PrintWriter progress, String overflowAdvice) throws IOException {
        int o = source.outputDim();
        int v = mode.valuesPerPair(o);
        int[] shape = mode.shape(plan.n1(), plan.n2(), o);
        if (plan.inMemory()) {
            Tensor k = source.compute(x1, plan.symmetric() ? null : x2, mode);
            Overflow.checkKernel(k.data(), 0, 0, plan.n2(), v, overflowAdvice);
            try (OutputStream s = new BufferedOutputStream(out.stream(), 1 << 16)) {
                Npy.write(s, NpyArray.of(k, float32));
            }
            return;
        }
        Matrix xs = plan.symmetric() ? x1 : x2;
        try (MappedNpyWriter w = new MappedNpyWriter(out, shape, float32, plan.windowBytes());
             Progress.Bar bar = progress == null || plan.tiles() < 2 ? null : progressBar(plan, progress)) {
            double[] mirror = plan.symmetric() ? new double[Math.min(TRANSPOSE_BLOCK, plan.tile1()) * plan.tile1() * v] : null;
            for (int bi = 0; bi < plan.blocks1(); bi++) {
                int i0 = bi * plan.tile1();
                int i1 = Math.min(plan.n1(), i0 + plan.tile1());
                Matrix xi = x1.rowRange(i0, i1);
                for (int bj = plan.symmetric() ? bi : 0; bj < plan.blocks2(); bj++) {
                    int j0 = bj * plan.tile2();
                    int j1 = Math.min(plan.n2(), j0 + plan.tile2());
                    boolean diagonal = plan.symmetric() && bi == bj;
                    Tensor t = source.compute(xi, diagonal ? null : xs.rowRange(j0, j1), mode);
                    Overflow.checkKernel(t.data(), i0, j0, j1 - j0, v, overflowAdvice);
                    writeTile(w, t.data(), i0, i1 - i0, j0, j1 - j0, plan.n2(), v);
                    if (plan.symmetric() && !diagonal) {
                        writeTransposed(w, t.data(), i0, i1 - i0, j0, j1 - j0, plan.n2(), v, mode == NtkMode.FULL ? o : 0,
                                mirror);
                    }
                    if (bar != null) {
                        bar.step();
                    }
                }
            }
        } catch (InternalError e) {
            // A fault on a mapped page (SIGBUS) reaches Java as an InternalError, possibly after the store that
            // caused it returned: caught here, around every store, rather than only in MappedNpyWriter.write.
            throw MappedNpyWriter.pageFault(out, e);
        }
    }

    private static void writeTile(MappedNpyWriter out, double[] tile, int i0, int rows, int j0, int cols, int n2, int v)
            throws IOException {
        for (int r = 0; r < rows; r++) {
            out.write(((long) (i0 + r) * n2 + j0) * v, tile, r * cols * v, cols * v);
        }
    }

    /** Columns transposed together: reads of the tile stay within cache lines, the buffer stays small. */
    private static final int TRANSPOSE_BLOCK = 32;

    /**
     * Row j0+c of the file gets column c of the tile; in full mode each O×O block is transposed too. Columns are
     * gathered {@link #TRANSPOSE_BLOCK} at a time so the tile is read row by row.
     */
    private static void writeTransposed(MappedNpyWriter out, double[] tile, int i0, int rows, int j0, int cols, int n2,
                                        int v, int fullO, double[] buf) throws IOException {
        int stride = rows * v;
        for (int c0 = 0; c0 < cols; c0 += TRANSPOSE_BLOCK) {
            int cn = Math.min(TRANSPOSE_BLOCK, cols - c0);
            for (int r = 0; r < rows; r++) {
                for (int cc = 0; cc < cn; cc++) {
                    int src = (r * cols + c0 + cc) * v;
                    int dst = cc * stride + r * v;
                    if (fullO > 0) {
                        for (int a = 0; a < fullO; a++) {
                            for (int b = 0; b < fullO; b++) {
                                buf[dst + a * fullO + b] = tile[src + b * fullO + a];
                            }
                        }
                    } else {
                        System.arraycopy(tile, src, buf, dst, v);
                    }
                }
            }
            for (int cc = 0; cc < cn; cc++) {
                out.write(((long) (j0 + c0 + cc) * n2 + i0) * v, buf, cc * stride, stride);
            }
        }
    }

    private static Progress.Bar progressBar(Plan plan, PrintWriter err) {
        return Progress.bar(err, "kernel", plan.tiles(), "tiles");
    }
}

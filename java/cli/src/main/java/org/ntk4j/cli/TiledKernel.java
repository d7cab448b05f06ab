package org.ntk4j.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.internal.io.OutputFile;
import org.ntk4j.io.Npy;
import org.ntk4j.tiling.TilePlacer;
import org.ntk4j.tiling.TilePlan;

/**
 * Computes a kernel that may not fit in memory: in tiles of x1 × x2 rows sized to a memory budget, each streamed
 * into a memory-mapped .npy. When x2 is x1 only the upper-triangle tiles are computed; each off-diagonal tile is
 * also written transposed (Θ_ab(x, x') = Θ_ba(x', x)). When the whole kernel fits the budget it is computed in one
 * call and written directly.
 */
final class TiledKernel {
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    /**
     * How the work is split: one call, or the tiles of {@code layout} with a mapped window of windowBytes.
     *
     * @param inMemory    whether the whole kernel is one call (the layout is then one tile)
     * @param layout      the tiles
     * @param windowBytes the mapped window of a tiled write
     */
    record Plan(boolean inMemory, TilePlan layout, long windowBytes) {
        /** Tiles computed (upper triangle only when symmetric). */
        long tileCount() {
            return layout.tileCount();
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
            return new Plan(true, TilePlan.of(n1, n2, n1, n2, symmetric), 0);
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
            return new Plan(false, TilePlan.of(n1, n2, b, true), window);
        }
        int t2 = (int) Math.min(b, n2);
        // With x2 narrower than a square tile, let the tiles grow along x1.
        long t1 = (room - t2 * perExample) / ((long) t2 * pairBytes + perExample);
        t1 = Math.min(Math.min(t1, n1), MAX_ARRAY / ((long) t2 * valuesPerPair));
        return new Plan(false, TilePlan.of(n1, n2, Math.max(1, Math.max(t1, Math.min(b, n1))), t2, false), window);
    }

    /**
     * Computes Θ(x1, x2) (Θ(x1, x1) when the plan is symmetric; x2 is then not read) by the plan and writes it into
     * {@code out} as .npy; progress (tiles, rate, ETA) goes to {@code progress} when not null and there is more than
     * one tile. Every block is checked for overflow before it is written ({@code overflowAdvice} says what to change).
     * A tiled plan needs a regular file (it is memory-mapped).
     */
    static void write(KernelSource source, Matrix x1, Matrix x2, NtkMode mode, Plan plan, OutputFile out,
                      boolean float32, PrintWriter progress, Overflow.Advice overflowAdvice) throws IOException {
        TilePlan tiles = plan.layout();
        int o = source.outputDim();
        int v = mode.valuesPerPair(o);
        int[] shape = mode.shape(tiles.n1(), tiles.n2(), o);
        if (plan.inMemory()) {
            Tensor k = tiles.symmetric() ? source.compute(x1, mode) : source.compute(x1, x2, mode);
            Overflow.checkKernel(k, 0, 0, tiles.n2(), v, overflowAdvice);
            try (OutputStream s = new BufferedOutputStream(out.stream(), 1 << 16)) {
                Npy.write(s, k.toPrecision(float32 ? Precision.FP32 : Precision.FP64));
            }
            return;
        }
        Matrix xs = tiles.symmetric() ? x1 : x2;
        try (MappedNpyWriter w = new MappedNpyWriter(out, shape, float32, plan.windowBytes());
             Progress.Bar bar = progress == null || plan.tileCount() < 2 ? null : progressBar(plan, progress)) {
            TilePlacer<IOException> placer = new TilePlacer<>(tiles, mode, o, w::write);
            for (int i = 0; i < tiles.blocks1(); i++) {
                Matrix xi = x1.rowRange(tiles.rowStart(i), tiles.rowEnd(i));
                for (TilePlan.Tile t : tiles.row(i)) {
                    Tensor k = t.diagonal() ? source.compute(xi, mode)
                            : source.compute(xi, xs.rowRange(t.col0(), t.colEnd()), mode);
                    Overflow.checkKernel(k, t.row0(), t.col0(), t.cols(), v, overflowAdvice);
                    placer.place(t, k); // in its storage type: an fp32 tile stays float32 into the file
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

    private static Progress.Bar progressBar(Plan plan, PrintWriter err) {
        return Progress.bar(err, "kernel", plan.tileCount(), "tiles");
    }
}

package org.ntk4j.cpu;

import org.ntk4j.InvalidInputException;
import org.ntk4j.NtkMode;

/**
 * How a call is cut so that its working memory stays within the budget: examples in chunks of
 * {@code exampleChunk}, Jacobian columns in chunks of {@code parameterChunk}.
 *
 * <p>Working memory, in elements of the working precision (e = 4 or 8 bytes), for a chunk of B examples, per side
 * (x1 and x2 chunks):
 * <ul>
 *   <li>forward state B·A ({@link Network#activationsPerExample}: the input, every output not written in place and
 *       what the layers keep; for an MLP A = Σ_{l<L} n_l + Σ_{0<l<L} n_l + O) and two δ buffers 2·B·O·W, W the
 *       widest δ ({@link Network#maxDeltaWidth});</li>
 *   <li>Gram scratch B² (h) plus B² or, in FULL mode, (B·O)² (δ or Jacobian chunk), and B² fp64 factors;</li>
 *   <li>Jacobian contraction only: a scratch row per example ({@link CpuLayer#jacobianScratchWidth}, h̃ of width
 *       n_l + 1 for a dense layer) and the Jacobian chunk B·O·parameterChunk per side.</li>
 * </ul>
 * The planner picks the largest B whose total fits the budget (for Jacobian contraction, half of it, the other half
 * going to the Jacobian chunks, at most {@code maxParameterChunk} columns), less the scratch layers keep whatever the
 * chunk ({@link Network#fixedScratch}, 0 for dense layers). The fp64 accumulator and the result
 * (N1·N2·values-per-pair doubles each) are outside the budget: they are the answer.
 *
 * <p>{@code materialised}: the Jacobian contraction holds the whole J (it fits half the budget), the examples are
 * chunked only to fill it, and {@code parameterChunk} cuts its contraction.
 */
record ChunkPlan(int exampleChunk, int parameterChunk, boolean materialised) {

    /** Largest B with (B·O)² and B·O·width inside one array. */
    private static final long ARRAY = Integer.MAX_VALUE - 64;

    static ChunkPlan forNtk(Network<?> net, int n1, int n2, boolean symmetric, NtkMode mode, boolean structured,
                            long budget, int bytes, int maxParameterChunk, int threads) {
        if (!structured) {
            ChunkPlan whole = materialised(net, n1, n2, symmetric, mode, budget, bytes, maxParameterChunk, threads);
            if (whole != null) {
                return whole;
            }
        }
        int o = net.outputs;
        long maxWidth = net.maxDeltaWidth;
        long maxAug = net.maxJacobianScratchWidth();
        long acts = net.activationsPerExample();
        long linear = 2 * (acts + 2L * o * maxWidth + (structured ? 0 : maxAug));
        long limit = (structured ? budget : budget / 2) - (long) bytes * net.fixedScratch();
        int n = Math.max(n1, n2);
        int lo = 1;
        int hi = n;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (fits(mid, o, mode, linear, bytes, threads, limit, maxWidth, maxAug)) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        int b = lo;
        if (b == 1 && !fits(1, o, mode, linear, bytes, threads, Long.MAX_VALUE, maxWidth, maxAug)) {
            throw new InvalidInputException("one example's δ for all outputs (O·width = " + o + "·" + maxWidth
                    + " values) does not fit one array; the cpu backend cannot hold this model");
        }
        int pc = 0;
        if (!structured) {
            long used = bytes(b, o, mode, linear, bytes, threads);
            long perColumn = 2L * bytes * ((long) b * o + o);
            long cols = Math.max(1, (budget - used - (long) bytes * net.fixedScratch()) / perColumn);
            cols = Math.min(cols, maxParameterChunk);
            cols = Math.min(cols, (ARRAY / ((long) b * o + o)));
            pc = (int) Math.max(1, cols);
        }
        return new ChunkPlan(b, pc, false);
    }

    /**
     * Forward, Jacobian and gradient: chunks of examples only, {@code perExample} elements each, next to
     * {@code fixed} elements the layers keep whatever the chunk.
     */
    static ChunkPlan forRows(long perExample, int rows, long budget, int bytes, long fixed) {
        budget -= fixed * bytes;
        if (2 * perExample > ARRAY) {
            throw new InvalidInputException("one example needs " + perExample + " working values, more than one array"
                    + " holds; the cpu backend cannot hold this model");
        }
        long b = Math.max(1, budget / Math.max(1, perExample * bytes));
        b = Math.min(b, ARRAY / Math.max(1, perExample) - 1);
        return new ChunkPlan((int) Math.max(1, Math.min(rows, b)), 0, false);
    }

    /**
     * The materialised Jacobian contraction, when the whole Jacobian fits in half the budget: each example's J
     * (O·P values) is formed once, from chunks of examples planned in the rest of the budget, and contracted by one
     * Gram product per chunk of at most {@code maxParameterChunk} columns. Chunked contraction backpropagates both chunks of every block, k² chunk passes for k chunks,
     * which for a CNN (δs and patches far larger than J) is what costs. Null when J does not fit.
     */
    private static ChunkPlan materialised(Network<?> net, int n1, int n2, boolean symmetric, NtkMode mode,
                                          long budget, int bytes, int maxParameterChunk, int threads) {
        long p = net.jacobianColumns();
        int o = net.outputs;
        long n = Math.max(n1, n2);
        long perSide = n * o * p;
        long side = mode == NtkMode.FULL ? n * o : n;
        if (perSide > ARRAY || side * side > ARRAY) {
            return null;
        }
        // J of one side (Θ(x, x)) or both, the Gram product and the scratch rows of h̃
        long fixed = (long) bytes * ((symmetric ? 1 : 2) * perSide + side * side + n * net.maxJacobianScratchWidth());
        if (fixed > budget / 2) {
            return null;
        }
        ChunkPlan chunks = forNtk(net, n1, n2, symmetric, mode, true, budget - fixed, bytes, maxParameterChunk,
                threads);
        return new ChunkPlan(chunks.exampleChunk(), (int) Math.min(p, maxParameterChunk), true);
    }

    private static boolean fits(int b, int o, NtkMode mode, long linear, int bytes, int threads, long limit,
                                long maxWidth, long maxAug) {
        long bo = (long) b * o;
        // δ buffers hold (B + 1)·O·W elements (one row of slack), Δ^L B·O·O, h̃ (B + 1)·(max n_l + 1)
        if ((bo + o) * maxWidth > ARRAY || bo * o > ARRAY || (b + 1L) * maxAug > ARRAY) {
            return false;
        }
        if (mode == NtkMode.FULL && bo * bo + bo > ARRAY) {
            return false;
        }
        return bytes(b, o, mode, linear, bytes, threads) <= limit;
    }

    private static long bytes(int b, int o, NtkMode mode, long linear, int bytes, int threads) {
        long bo = (long) b * o;
        long gram = (long) b * b + (mode == NtkMode.FULL ? bo * bo : (long) b * b);
        return bytes * (b * linear + gram) + 8L * b * b + 8L * threads * bo;
    }
}

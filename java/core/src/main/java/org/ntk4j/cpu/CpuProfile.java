package org.ntk4j.cpu;

/**
 * Where the time of one CPU backend call went, for benchmarks and tuning. Phases are wall-clock nanoseconds on the
 * calling thread (parallel work inside a phase counts once); the BLAS figures cover every matrix product of the
 * call, with "useful" flops: 2·m·n·k per product, n·(n+1)·k per Gram product of which only one triangle is formed.
 *
 * @param operation       "forward", "jacobian", "mse-gradient" or "ntk structured|jacobian_contraction MODE"
 * @param wallNanos       the whole call
 * @param forwardNanos    forward passes
 * @param backwardNanos   backpropagation of δ (its GEMMs and the φ' products)
 * @param gramNanos       the Gram products (BLAS) of h, δ and Jacobian chunks
 * @param fillNanos       filling Jacobian chunks (Jacobian contraction and {@code jacobian()} only)
 * @param accumulateNanos Hadamard products and fp64 accumulation of Gram blocks
 * @param blasNanos       time inside BLAS
 * @param blasFlops       useful floating-point operations done by BLAS
 * @param exampleChunk    examples per chunk (N when nothing was split)
 * @param parameterChunk  Jacobian columns per chunk (0 when no Jacobian chunk was built)
 * @param blocks          example-chunk pairs computed
 * @param parameterChunks Jacobian chunks built per block
 */
public record CpuProfile(String operation, long wallNanos, long forwardNanos, long backwardNanos, long gramNanos,
                         long fillNanos, long accumulateNanos, long blasNanos, long blasFlops, int exampleChunk,
                         int parameterChunk, int blocks, int parameterChunks) {

    /** Achieved BLAS rate in GFLOP/s (useful flops over time in BLAS). */
    public double blasGflops() {
        return blasNanos == 0 ? 0 : (double) blasFlops / blasNanos;
    }

    @Override
    public String toString() {
        return String.format("%s: %.2f ms (forward %.2f, backward %.2f, gram %.2f, fill %.2f, accumulate %.2f; BLAS "
                        + "%.2f ms at %.1f GFLOP/s; example chunk %d, parameter chunk %d, %d blocks × %d chunks)",
                operation, wallNanos / 1e6, forwardNanos / 1e6, backwardNanos / 1e6, gramNanos / 1e6, fillNanos / 1e6,
                accumulateNanos / 1e6, blasNanos / 1e6, blasGflops(), exampleChunk, parameterChunk, blocks,
                parameterChunks);
    }

    /** Mutable counters filled during a call. */
    static final class Timer {
        final String operation;
        final long start = System.nanoTime();
        long forward;
        long backward;
        long gram;
        long fill;
        long accumulate;
        int exampleChunk;
        int parameterChunk;
        int blocks;
        int parameterChunks;

        Timer(String operation) {
            this.operation = operation;
        }

        CpuProfile finish(MatrixProducts la) {
            return new CpuProfile(operation, System.nanoTime() - start, forward, backward, gram, fill, accumulate,
                    la.nanos(), la.flops(), exampleChunk, parameterChunk, blocks, parameterChunks);
        }
    }
}

package org.ntk4j.cpu;

import org.ntk4j.model.Shape;

/**
 * Flatten on the CPU backend: an (H, W, C) image, held NHWC, becomes the flat vector in PyTorch's (C, H, W) order —
 * entry c·H·W + y·W + x — so that a PyTorch {@code Linear} after {@code Flatten} reads the same weights; the backward
 * pass is the inverse permutation. A flat input passes as it is. No parameters.
 */
final class CpuFlatten<A> implements CpuLayer<A> {
    private final Arith<A> ar;
    private final int positions;
    private final int channels;

    CpuFlatten(Arith<A> ar, Shape in) {
        this.ar = ar;
        boolean image = in.rank() == 3;
        this.channels = image ? (int) in.dim(2) : 1;
        this.positions = in.intSize("the input of a flatten layer") / channels;
    }

    @Override
    public int inputWidth() {
        return positions * channels;
    }

    @Override
    public int outputWidth() {
        return positions * channels;
    }

    /** out[c·HW + p] = in[p·C + c]. */
    @Override
    public void forward(A in, A out, A saved, int rows) {
        int width = inputWidth();
        ar.pool.parallelFor(rows, width, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                for (int p = 0; p < positions; p++) {
                    for (int ch = 0; ch < channels; ch++) {
                        ar.set(out, r * width + ch * positions + p, ar.get(in, r * width + p * channels + ch));
                    }
                }
            }
        });
    }

    @Override
    public A backward(Network<A>.Backprop bp, A spare, Network.TopRows<A> noted) {
        int width = inputWidth();
        A delta = bp.delta();
        ar.pool.parallelFor(bp.rows() * bp.multiplicity, width, (q0, q1) -> {
            for (int q = q0; q < q1; q++) {
                for (int p = 0; p < positions; p++) {
                    for (int ch = 0; ch < channels; ch++) {
                        ar.set(spare, q * width + p * channels + ch, ar.get(delta, q * width + ch * positions + p));
                    }
                }
            }
        });
        return spare;
    }
}

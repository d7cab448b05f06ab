package org.ntk4j.cpu;

import org.ntk4j.model.Shape;

/**
 * Global average pooling on the CPU backend: (H, W, C) to (C), each channel's mean over the H·W positions (summed in
 * fp64); backward, each δ entry divided by H·W to every position of its channel. No parameters.
 */
final class CpuGlobalAvgPool<A> implements CpuLayer<A> {
    private final Arith<A> ar;
    private final int positions;
    private final int channels;

    CpuGlobalAvgPool(Arith<A> ar, Shape in) {
        this.ar = ar;
        this.positions = (int) (in.dim(0) * in.dim(1));
        this.channels = (int) in.dim(2);
    }

    @Override
    public int inputWidth() {
        return positions * channels;
    }

    @Override
    public int outputWidth() {
        return channels;
    }

    @Override
    public void forward(A in, A out, A saved, int rows) {
        int inWidth = inputWidth();
        ar.pool.parallelFor(rows, inWidth, (r0, r1) -> {
            double[] acc = new double[channels];
            for (int r = r0; r < r1; r++) {
                java.util.Arrays.fill(acc, 0.0);
                for (int p = 0; p < positions; p++) {
                    for (int ch = 0; ch < channels; ch++) {
                        acc[ch] += ar.get(in, r * inWidth + p * channels + ch);
                    }
                }
                for (int ch = 0; ch < channels; ch++) {
                    acc[ch] /= positions;
                }
                ar.fromDouble(acc, 0, out, r * channels, channels);
            }
        });
    }

    @Override
    public A backward(Network<A>.Backprop bp, A spare, Network.TopRows<A> noted) {
        int inWidth = inputWidth();
        A delta = bp.delta();
        ar.pool.parallelFor(bp.rows() * bp.multiplicity, inWidth, (q0, q1) -> {
            for (int q = q0; q < q1; q++) {
                for (int ch = 0; ch < channels; ch++) {
                    double v = ar.get(delta, q * channels + ch) / positions;
                    for (int p = 0; p < positions; p++) {
                        ar.set(spare, q * inWidth + p * channels + ch, v);
                    }
                }
            }
        });
        return spare;
    }
}

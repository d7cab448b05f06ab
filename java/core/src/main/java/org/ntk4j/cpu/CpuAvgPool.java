package org.ntk4j.cpu;

import org.ntk4j.model.AvgPool;
import org.ntk4j.model.Shape;

/**
 * Average pooling on the CPU backend: each output entry is the sum of its window's entries, channel by channel,
 * divided by the window's area (padding zeros counted, as PyTorch's {@code count_include_pad=True}); sums in fp64.
 * The backward pass hands each δ entry, divided by the area, to the entries its window read. No parameters.
 */
final class CpuAvgPool<A> implements CpuLayer<A> {
    private final Arith<A> ar;
    private final int inWidth;
    private final int channels;
    private final int positions;
    private final int area;
    /** As {@link CpuConv#sources}: the pixel each window offset of each output position reads, or −1. */
    private final int[] source;

    CpuAvgPool(Arith<A> ar, AvgPool pool, Shape in, Shape out) {
        this.ar = ar;
        this.inWidth = in.intSize("the input of an avgpool layer");
        this.channels = (int) in.dim(2);
        int ho = (int) out.dim(0);
        int wo = (int) out.dim(1);
        this.positions = ho * wo;
        this.area = pool.window().area();
        this.source = CpuConv.sources(pool.window(), (int) in.dim(0), (int) in.dim(1), ho, wo);
    }

    @Override
    public int inputWidth() {
        return inWidth;
    }

    @Override
    public int outputWidth() {
        return positions * channels;
    }

    @Override
    public void forward(A in, A out, A saved, int rows) {
        int outWidth = outputWidth();
        ar.pool.parallelFor(rows, (long) outWidth * area, (r0, r1) -> {
            double[] acc = new double[outWidth];
            for (int r = r0; r < r1; r++) {
                java.util.Arrays.fill(acc, 0.0);
                for (int p = 0; p < positions; p++) {
                    for (int k = 0; k < area; k++) {
                        int px = source[p * area + k];
                        if (px >= 0) {
                            for (int ch = 0; ch < channels; ch++) {
                                acc[p * channels + ch] += ar.get(in, r * inWidth + px * channels + ch);
                            }
                        }
                    }
                }
                for (int e = 0; e < outWidth; e++) {
                    acc[e] /= area;
                }
                ar.fromDouble(acc, 0, out, r * outWidth, outWidth);
            }
        });
    }

    @Override
    public A backward(Network<A>.Backprop bp, A spare, Network.TopRows<A> noted) {
        int outWidth = outputWidth();
        A delta = bp.delta();
        ar.pool.parallelFor(bp.rows() * bp.multiplicity, (long) outWidth * area, (q0, q1) -> {
            double[] acc = new double[inWidth];
            for (int q = q0; q < q1; q++) {
                java.util.Arrays.fill(acc, 0.0);
                for (int p = 0; p < positions; p++) {
                    for (int k = 0; k < area; k++) {
                        int px = source[p * area + k];
                        if (px >= 0) {
                            for (int ch = 0; ch < channels; ch++) {
                                acc[px * channels + ch] += ar.get(delta, q * outWidth + p * channels + ch) / area;
                            }
                        }
                    }
                }
                ar.fromDouble(acc, 0, spare, q * inWidth, inWidth);
            }
        });
        return spare;
    }
}

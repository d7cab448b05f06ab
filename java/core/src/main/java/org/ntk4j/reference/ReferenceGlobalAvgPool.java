package org.ntk4j.reference;

import org.ntk4j.model.Shape;

/** The mean of each channel over all H·W positions of an NHWC image, on the reference backend. No parameters. */
final class ReferenceGlobalAvgPool implements ReferenceLayer {
    private final int positions;
    private final int channels;

    ReferenceGlobalAvgPool(Shape in) {
        this.positions = (int) (in.dim(0) * in.dim(1));
        this.channels = (int) in.dim(2);
    }

    @Override
    public double[] forward(double[] h) {
        double[] z = new double[channels];
        for (int ch = 0; ch < channels; ch++) {
            double acc = 0;
            for (int p = 0; p < positions; p++) {
                acc += h[p * channels + ch];
            }
            z[ch] = acc / positions;
        }
        return z;
    }

    /** Every position of channel c receives δ_c/(H·W). */
    @Override
    public Delta backward(double[] h, Delta delta) {
        double[] d = delta.applied();
        double[] next = new double[h.length];
        for (int p = 0; p < positions; p++) {
            for (int ch = 0; ch < channels; ch++) {
                next[p * channels + ch] = d[ch] / positions;
            }
        }
        return new Delta(1.0, next);
    }
}

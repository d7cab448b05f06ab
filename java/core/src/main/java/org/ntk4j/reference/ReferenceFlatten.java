package org.ntk4j.reference;

import org.ntk4j.model.Shape;

/**
 * An NHWC image as a flat vector in PyTorch's (C, H, W) order on the reference backend: entry (y, x, c) moves to
 * {@code c·H·W + y·W + x}; a flat input passes unchanged. The backward pass is the inverse permutation.
 */
final class ReferenceFlatten implements ReferenceLayer {
    /** to[k] is where NHWC entry k lands in the flat vector. */
    private final int[] to;

    ReferenceFlatten(Shape in) {
        this.to = new int[(int) in.size()];
        if (in.isFlat()) {
            for (int k = 0; k < to.length; k++) {
                to[k] = k;
            }
            return;
        }
        int h = (int) in.dim(0);
        int w = (int) in.dim(1);
        int c = (int) in.dim(2);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int ch = 0; ch < c; ch++) {
                    to[(y * w + x) * c + ch] = (ch * h + y) * w + x;
                }
            }
        }
    }

    @Override
    public double[] forward(double[] h) {
        double[] z = new double[h.length];
        for (int k = 0; k < h.length; k++) {
            z[to[k]] = h[k];
        }
        return z;
    }

    /** The same permutation read the other way; the pending scale travels unapplied. */
    @Override
    public Delta backward(double[] h, Delta delta) {
        double[] g = delta.values();
        double[] next = new double[h.length];
        for (int k = 0; k < h.length; k++) {
            next[k] = g[to[k]];
        }
        return new Delta(delta.scale(), next);
    }
}

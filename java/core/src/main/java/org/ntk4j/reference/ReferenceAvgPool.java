package org.ntk4j.reference;

import org.ntk4j.model.Shape;
import org.ntk4j.model.Window;

/**
 * The mean over each kh×kw window, channel by channel, on the reference backend: the sum of what the window reads
 * (padding zeros included) divided by kh·kw. No parameters.
 */
final class ReferenceAvgPool implements ReferenceLayer {
    private final ReferenceWindow win;

    ReferenceAvgPool(Window window, Shape in) {
        this.win = new ReferenceWindow(window, in);
    }

    private int output(int y, int x, int ch) {
        return (y * win.outW + x) * win.c + ch;
    }

    @Override
    public double[] forward(double[] h) {
        double[] z = new double[win.outH * win.outW * win.c];
        for (int y = 0; y < win.outH; y++) {
            for (int x = 0; x < win.outW; x++) {
                for (int ch = 0; ch < win.c; ch++) {
                    double acc = 0;
                    for (int dy = 0; dy < win.kh; dy++) {
                        for (int dx = 0; dx < win.kw; dx++) {
                            int src = win.source(y, x, dy, dx);
                            acc += src < 0 ? 0 : h[src * win.c + ch];
                        }
                    }
                    z[output(y, x, ch)] = acc / (win.kh * win.kw);
                }
            }
        }
        return z;
    }

    /** Each window hands δ/(kh·kw) to every entry it read (twice to an entry it read twice, when it wraps). */
    @Override
    public Delta backward(double[] h, Delta delta) {
        double[] d = delta.applied();
        double[] next = new double[h.length];
        for (int y = 0; y < win.outH; y++) {
            for (int x = 0; x < win.outW; x++) {
                for (int ch = 0; ch < win.c; ch++) {
                    double g = d[output(y, x, ch)] / (win.kh * win.kw);
                    for (int dy = 0; dy < win.kh; dy++) {
                        for (int dx = 0; dx < win.kw; dx++) {
                            int src = win.source(y, x, dy, dx);
                            if (src >= 0) {
                                next[src * win.c + ch] += g;
                            }
                        }
                    }
                }
            }
        }
        return new Delta(1.0, next);
    }
}

package org.ntk4j.reference;

import org.ntk4j.model.Architecture;
import org.ntk4j.model.Conv;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;

/**
 * {@code z[y, x, o] = c·Σ_{i, dy, dx} W[o, i, dy, dx]·h[row(y, dy), col(x, dx), i] + s·b[o]} on the reference
 * backend, by direct loops over output positions and the window: W is (C_out, C_in, kh, kw) row-major, images are
 * NHWC, c and s per the network's parameterization with fan_in = C_in·kh·kw.
 */
final class ReferenceConv implements ReferenceLayer {
    private final double[] wt;
    private final double[] b;
    private final ReferenceWindow win;
    private final int cout;
    private final double c;
    private final double s;
    private final int wOff;
    private final int bOff;

    /**
     * Conv layer l, its parameters starting at {@code offset} of the flat vector (W row-major, then b). The scales
     * are worked out here from the parameterization's definition, as {@link ReferenceDense}'s.
     */
    ReferenceConv(Parameters params, int l, int offset) {
        Architecture arch = params.architecture();
        Conv conv = arch.conv(l);
        this.wt = params.weights(l);
        this.b = params.bias(l);
        this.win = new ReferenceWindow(conv.window(), arch.inputShape(arch.sequenceIndex(l)));
        this.cout = conv.channels();
        boolean ntk = arch.parameterization() == Parameterization.NTK;
        this.c = ntk ? conv.wStd() / Math.sqrt(win.c * win.kh * win.kw) : 1.0;
        this.s = !conv.bias() ? 0.0 : ntk ? conv.bStd() : 1.0;
        this.wOff = offset;
        this.bOff = b == null ? -1 : offset + wt.length;
    }

    @Override
    public int parameterCount() {
        return wt.length + (b == null ? 0 : cout);
    }

    private int weight(int o, int i, int dy, int dx) {
        return ((o * win.c + i) * win.kh + dy) * win.kw + dx;
    }

    private int output(int y, int x, int o) {
        return (y * win.outW + x) * cout + o;
    }

    @Override
    public double[] forward(double[] h) {
        double[] z = new double[win.outH * win.outW * cout];
        for (int y = 0; y < win.outH; y++) {
            for (int x = 0; x < win.outW; x++) {
                for (int o = 0; o < cout; o++) {
                    double acc = 0;
                    for (int dy = 0; dy < win.kh; dy++) {
                        for (int dx = 0; dx < win.kw; dx++) {
                            int src = win.source(y, x, dy, dx);
                            for (int i = 0; i < win.c && src >= 0; i++) {
                                acc += wt[weight(o, i, dy, dx)] * h[src * win.c + i];
                            }
                        }
                    }
                    z[output(y, x, o)] = c * acc + (b == null ? 0 : s * b[o]);
                }
            }
        }
        return z;
    }

    /** ∂f/∂h[r, q, i] = c·Σ over the windows that read it of W[o, i, dy, dx]·δ[y, x, o], c left to the layer below. */
    @Override
    public Delta backward(double[] h, Delta delta) {
        double[] d = delta.applied();
        double[] next = new double[h.length];
        for (int y = 0; y < win.outH; y++) {
            for (int x = 0; x < win.outW; x++) {
                for (int o = 0; o < cout; o++) {
                    double g = d[output(y, x, o)];
                    for (int dy = 0; dy < win.kh; dy++) {
                        for (int dx = 0; dx < win.kw; dx++) {
                            int src = win.source(y, x, dy, dx);
                            for (int i = 0; i < win.c && src >= 0; i++) {
                                next[src * win.c + i] += wt[weight(o, i, dy, dx)] * g;
                            }
                        }
                    }
                }
            }
        }
        return new Delta(c, next);
    }

    /** ∂f/∂W[o, i, dy, dx] = c·Σ_{y, x} δ[y, x, o]·h[row(y, dy), col(x, dx), i]; ∂f/∂b[o] = s·Σ_{y, x} δ[y, x, o]. */
    @Override
    public void jacobianBlock(double[] h, Delta delta, double[] row) {
        double[] d = delta.applied();
        for (int o = 0; o < cout; o++) {
            for (int i = 0; i < win.c; i++) {
                for (int dy = 0; dy < win.kh; dy++) {
                    for (int dx = 0; dx < win.kw; dx++) {
                        double acc = 0;
                        for (int y = 0; y < win.outH; y++) {
                            for (int x = 0; x < win.outW; x++) {
                                int src = win.source(y, x, dy, dx);
                                acc += src < 0 ? 0 : d[output(y, x, o)] * h[src * win.c + i];
                            }
                        }
                        row[wOff + weight(o, i, dy, dx)] = c * acc;
                    }
                }
            }
            if (b != null) {
                double acc = 0;
                for (int y = 0; y < win.outH; y++) {
                    for (int x = 0; x < win.outW; x++) {
                        acc += d[output(y, x, o)];
                    }
                }
                row[bOff + o] = s * acc;
            }
        }
    }

    /**
     * Σ over output positions p, p' of (c²·⟨patch_p(x), patch_p'(x')⟩ + s²)·⟨δ_p(x), δ_p'(x')⟩, the channels' inner
     * product at each pair of positions (s = 0 without bias).
     */
    @Override
    public double structuredTerm(double[] h1, double[] delta1, double[] h2, double[] delta2) {
        double sum = 0;
        for (int y1 = 0; y1 < win.outH; y1++) {
            for (int x1 = 0; x1 < win.outW; x1++) {
                for (int y2 = 0; y2 < win.outH; y2++) {
                    for (int x2 = 0; x2 < win.outW; x2++) {
                        double dd = 0;
                        for (int o = 0; o < cout; o++) {
                            dd += delta1[output(y1, x1, o)] * delta2[output(y2, x2, o)];
                        }
                        double pp = 0;
                        for (int dy = 0; dy < win.kh; dy++) {
                            for (int dx = 0; dx < win.kw; dx++) {
                                int s1 = win.source(y1, x1, dy, dx);
                                int s2 = win.source(y2, x2, dy, dx);
                                for (int i = 0; i < win.c && s1 >= 0 && s2 >= 0; i++) {
                                    pp += h1[s1 * win.c + i] * h2[s2 * win.c + i];
                                }
                            }
                        }
                        sum += (c * c * pp + s * s) * dd;
                    }
                }
            }
        }
        return sum;
    }
}

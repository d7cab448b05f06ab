package org.ntk4j.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Layer;
import org.ntk4j.model.Padding;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Shape;
import org.ntk4j.model.Window;

/**
 * Random layer sequences that are not the MLP shorthand: odd widths, per-layer σ_w/σ_b, bias on some layers only,
 * different activations per layer, dense layers with no activation between them and, in the general form, several
 * activations in a row and activations after the last dense layer; and random small CNNs.
 */
public final class LayerSequences {
    private LayerSequences() {
    }

    /** The forms a backend may support. */
    public enum Form {
        /** Dense, then any mix of dense and activation layers, ending anywhere. */
        GENERAL,
        /** Dense (φ? Dense)*: at most one activation between dense layers, none after the last. */
        DENSE_CHAIN
    }

    /**
     * One random sequence.
     *
     * @param seed   the seed
     * @param form   which sequences to draw
     * @param smooth only activations with a continuous derivative (for finite differences)
     * @return the architecture
     */
    public static Architecture random(long seed, Form form, boolean smooth) {
        SplittableRandom r = new SplittableRandom(seed);
        Activation[] acts = smooth ? new Activation[] {Activation.ERF, Activation.TANH, Activation.GELU,
                Activation.IDENTITY} : Activation.values();
        int d = 1 + r.nextInt(9);
        int dense = 2 + r.nextInt(3);
        List<Layer> layers = new ArrayList<>();
        for (int k = 0; k < dense; k++) {
            int width = k == dense - 1 ? 1 + r.nextInt(4) : 1 + r.nextInt(13);
            double wStd = 0.5 + 1.5 * r.nextDouble();
            layers.add(r.nextInt(3) == 0 ? Layer.denseNoBias(width, wStd)
                    : Layer.dense(width, wStd, r.nextInt(4) == 0 ? 0.0 : r.nextDouble()));
            boolean last = k == dense - 1;
            int activations = form == Form.GENERAL ? r.nextInt(last ? 2 : 3) : last ? 0 : r.nextInt(4) == 0 ? 0 : 1;
            for (int a = 0; a < activations; a++) {
                layers.add(Layer.activation(acts[r.nextInt(acts.length)]));
            }
        }
        return Architecture.of(Shape.flat(d), r.nextBoolean() ? Parameterization.NTK : Parameterization.STANDARD,
                layers);
    }

    /**
     * One random small CNN on an odd image (H ≠ W mostly, 1–3 channels): one or two convolutions (odd channel counts,
     * 1×1 to 5×5 kernels, non-square ones, stride 1 or 2, every padding), activations after some, sometimes an
     * average pooling whose window need not divide the size, then gap or flatten and one or two dense layers; per-layer
     * σ_w/σ_b, bias on some layers only, either parameterization.
     *
     * @param seed   the seed
     * @param smooth only activations with a continuous derivative (for finite differences)
     * @return the architecture
     */
    public static Architecture randomCnn(long seed, boolean smooth) {
        SplittableRandom r = new SplittableRandom(seed);
        Activation[] acts = smooth ? new Activation[] {Activation.ERF, Activation.TANH, Activation.GELU}
                : Activation.values();
        long h = 3 + r.nextInt(5);
        long w = 3 + r.nextInt(5);
        long c = 1 + r.nextInt(3);
        Shape in = Shape.of(h, w, c);
        List<Layer> layers = new ArrayList<>();
        int convs = 1 + r.nextInt(2);
        for (int k = 0; k < convs; k++) {
            int kh = r.nextInt(5) == 0 ? 5 : 1 + r.nextInt(3);
            int kw = r.nextBoolean() ? kh : 1 + r.nextInt(3);
            int stride = 1 + r.nextInt(2);
            Window win = new Window(kh, kw, stride, r.nextInt(4) == 0 ? 3 - stride : stride, padding(r, h, w, kh, kw));
            int out = 1 + r.nextInt(4);
            double wStd = 0.5 + 1.5 * r.nextDouble();
            layers.add(r.nextInt(3) == 0 ? Layer.convNoBias(out, win, wStd) : Layer.conv(out, win, wStd, r.nextDouble()));
            h = win.padding().outputSize(h, kh, win.strideH());
            w = win.padding().outputSize(w, kw, win.strideW());
            if (r.nextInt(4) != 0) {
                layers.add(Layer.activation(acts[r.nextInt(acts.length)]));
            }
            if (r.nextInt(3) == 0) {
                int k2 = 2 + r.nextInt(2);
                Window pool = new Window(k2, k2, 1 + r.nextInt(2), 1 + r.nextInt(2), padding(r, h, w, k2, k2));
                layers.add(Layer.avgPool(pool));
                h = pool.padding().outputSize(h, k2, pool.strideH());
                w = pool.padding().outputSize(w, k2, pool.strideW());
            }
        }
        layers.add(r.nextBoolean() ? Layer.globalAvgPool() : Layer.flatten());
        if (r.nextBoolean()) {
            layers.add(Layer.dense(1 + r.nextInt(5), 0.5 + 1.5 * r.nextDouble(), r.nextDouble()));
            layers.add(Layer.activation(acts[r.nextInt(acts.length)]));
        }
        layers.add(r.nextInt(3) == 0 ? Layer.denseNoBias(1 + r.nextInt(3), 0.5 + r.nextDouble())
                : Layer.dense(1 + r.nextInt(3), 0.5 + r.nextDouble(), r.nextDouble()));
        return Architecture.of(in, r.nextBoolean() ? Parameterization.NTK : Parameterization.STANDARD, layers);
    }

    /** Any padding; valid only where the window fits. */
    private static Padding padding(SplittableRandom r, long h, long w, int kh, int kw) {
        Padding p = Padding.values()[r.nextInt(3)];
        return p == Padding.VALID && (h < kh || w < kw) ? Padding.SAME : p;
    }
}

package org.ntk4j.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Layer;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Shape;

/**
 * Random layer sequences that are not the MLP shorthand: odd widths, per-layer σ_w/σ_b, bias on some layers only,
 * different activations per layer, dense layers with no activation between them and, in the general form, several
 * activations in a row and activations after the last dense layer.
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
}

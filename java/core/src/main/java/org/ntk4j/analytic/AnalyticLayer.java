package org.ntk4j.analytic;

import org.ntk4j.model.Architecture;
import org.ntk4j.model.AvgPool;
import org.ntk4j.model.Conv;
import org.ntk4j.model.Dense;
import org.ntk4j.model.Elementwise;
import org.ntk4j.model.Flatten;
import org.ntk4j.model.GlobalAvgPool;
import org.ntk4j.model.Layer;
import org.ntk4j.model.UnsupportedLayerException;

/**
 * One layer's infinite-width map (neural-tangents' kernel functions): how it changes the covariance Σ and the NTK Θ
 * of the value flowing through the network, over pairs of inputs and over the diagonal. One class per layer kind;
 * {@link AnalyticKernel} walks the sequence.
 */
sealed interface AnalyticLayer permits AnalyticDense, AnalyticElementwise {

    /**
     * The map of layer i of the sequence.
     *
     * @param arch the architecture
     * @param i    the index in {@link Architecture#sequence()}
     * @param dual the evaluator of every activation's dual, or null for each activation's default
     * @return the map
     * @throws UnsupportedLayerException for an activation that does not read a dense layer's output (its input is
     *                                   then not Gaussian in the limit, and its dual would not be its kernel), and
     *                                   for convolutions, pooling and flatten
     */
    static AnalyticLayer of(Architecture arch, int i, DualActivation dual) {
        return switch (arch.sequence().get(i)) {
            case Dense d -> new AnalyticDense(arch.parameterization(), d, arch.inputShape(i).intSize("dense input"));
            case Elementwise e -> {
                if (i == 0 || !(arch.sequence().get(i - 1) instanceof Dense)) {
                    throw new UnsupportedLayerException(i, e, "does not follow a dense layer: its input is not"
                            + " Gaussian in the infinite-width limit, so the analytic kernel has no map for it");
                }
                yield new AnalyticElementwise(dual != null ? dual : DualActivation.of(e.activation()));
            }
            case Conv c -> throw noMap(i, c);
            case AvgPool p -> throw noMap(i, p);
            case GlobalAvgPool g -> throw noMap(i, g);
            case Flatten f -> throw noMap(i, f);
        };
    }

    /** The infinite-width CNTK (Arora et al. 2019) needs per-pixel covariances, which this kernel does not keep. */
    private static UnsupportedLayerException noMap(int i, Layer layer) {
        return new UnsupportedLayerException(i, layer, "has no infinite-width map in the analytic kernel, which runs"
                + " dense layers and activations; use an empirical kernel (cpu, cuda or reference)");
    }

    /**
     * Maps the pair state through this layer.
     *
     * @param s the state, updated in place
     */
    void pairs(KernelState s);

    /**
     * Maps the diagonal state (every input with itself) through this layer.
     *
     * @param s the state, updated in place
     */
    void diagonal(KernelState s);
}

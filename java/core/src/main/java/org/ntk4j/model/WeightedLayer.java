package org.ntk4j.model;

import org.ntk4j.InvalidInputException;

/**
 * A layer with a weight array W and, optionally, a bias b: {@code z = c·(W applied to h) + s·b}. Its row of W for
 * output (channel) i holds fan_in entries — PyTorch's layout puts the output axis first — and the multipliers follow
 * the network's {@link Parameterization}: in the ntk one {@code c = wStd/√fan_in}, {@code s = bStd}, W and b
 * standard normal; in the standard one {@code c = s = 1}, W ~ N(0, wStd²/fan_in), b ~ N(0, bStd²).
 */
public sealed interface WeightedLayer extends Layer permits Dense, Conv {

    /**
     * σ_w of this layer.
     *
     * @return σ_w, positive and finite
     */
    double wStd();

    /**
     * σ_b of this layer (0 without bias).
     *
     * @return σ_b, ≥ 0 and finite
     */
    double bStd();

    /**
     * Whether the layer has bias parameters (σ_b = 0 with bias is another parameter count than no bias).
     *
     * @return whether b exists
     */
    boolean bias();

    /**
     * fan_in, the number of inputs one output entry reads: n_in for {@link Dense}, C_in·kh·kw for {@link Conv}; also
     * the length of one row of W (its entries for one output).
     *
     * @param input the shape of one example's input
     * @return fan_in
     * @throws InvalidInputException when this layer cannot read that input
     */
    int fanIn(Shape input);

    /**
     * Multiply-adds of one forward pass per example (for FLOP counts).
     *
     * @param input the shape of one example's input
     * @return |W| for a dense layer, |W| times the number of output positions for a convolution
     */
    long multiplyAdds(Shape input);

    /**
     * Always: W, and b when {@link #bias()}.
     */
    @Override
    default boolean hasParameters() {
        return true;
    }
}

package org.ntk4j.model;

import org.ntk4j.InvalidInputException;

/**
 * One stage of a network, as one of neural-tangents' {@code stax} layers is: an {@link Architecture} is an input
 * {@link Shape} followed by a sequence of layers. Each kind knows the shape it makes of its input and the shapes of
 * its parameters; the backends hold its forward and backward passes, one class per kind and backend.
 *
 * <p>Parameters flatten layer by layer, {@code [W, b]} for each layer that has them, in the order of the sequence.
 */
public sealed interface Layer permits Dense, Elementwise {

    /**
     * The shape of this layer's output for one example.
     *
     * @param input the shape of one example's input
     * @return the shape of one example's output
     * @throws InvalidInputException when this layer cannot read that input (the message says why)
     */
    Shape outputShape(Shape input);

    /**
     * The shape of the weight array, in PyTorch's layout (for {@link Dense}: (out, in)).
     *
     * @param input the shape of one example's input
     * @return the dimensions, empty for a layer without weights
     */
    long[] weightShape(Shape input);

    /**
     * The number of bias entries.
     *
     * @param input the shape of one example's input
     * @return the length of b, 0 for a layer without bias
     */
    long biasCount(Shape input);

    /**
     * Whether this layer has a weight array (and so a place in the numbering W0, b0, W1, b1, …).
     *
     * @return true for layers with parameters
     */
    boolean hasParameters();

    /**
     * The layer as one token of the architecture grammar ({@link Architecture#parse}), e.g. {@code dense(512,1.0,0.05)}
     * or {@code relu}.
     *
     * @return the token, which {@link Architecture#parse} reads back to an equal layer
     */
    String spec();

    /**
     * A dense layer with bias: {@code z = c·W·h + s·b}.
     *
     * @param width the output width, ≥ 1
     * @param wStd  σ_w of this layer, positive and finite
     * @param bStd  σ_b of this layer, ≥ 0 and finite
     * @return the layer
     * @throws InvalidInputException for a value out of range
     */
    static Dense dense(int width, double wStd, double bStd) {
        return new Dense(width, wStd, bStd, true);
    }

    /**
     * A dense layer without bias parameters: {@code z = c·W·h}.
     *
     * @param width the output width, ≥ 1
     * @param wStd  σ_w of this layer, positive and finite
     * @return the layer
     * @throws InvalidInputException for a value out of range
     */
    static Dense denseNoBias(int width, double wStd) {
        return new Dense(width, wStd, 0.0, false);
    }

    /**
     * φ applied to every entry.
     *
     * @param activation φ
     * @return the layer
     * @throws InvalidInputException when activation is null
     */
    static Elementwise activation(Activation activation) {
        return new Elementwise(activation);
    }
}

package org.ntk4j.model;

import org.ntk4j.InvalidInputException;

/**
 * One stage of a network, as one of neural-tangents' {@code stax} layers is: an {@link Architecture} is an input
 * {@link Shape} followed by a sequence of layers. Each kind knows the shape it makes of its input and the shapes of
 * its parameters; the backends hold its forward and backward passes, one class per kind and backend.
 *
 * <p>Parameters flatten layer by layer, {@code [W, b]} for each layer that has them ({@link Dense}, {@link Conv}), in
 * the order of the sequence, each W in PyTorch's layout. Examples are flat vectors {@code (d)} or images
 * {@code (H, W, C)} stored NHWC: entry (y, x, c) of an image at {@code (y·W + x)·C + c}.
 */
public sealed interface Layer permits WeightedLayer, Elementwise, AvgPool, GlobalAvgPool, Flatten {

    /**
     * The shape of this layer's output for one example.
     *
     * @param input the shape of one example's input
     * @return the shape of one example's output
     * @throws InvalidInputException when this layer cannot read that input (the message says why)
     */
    Shape outputShape(Shape input);

    /**
     * The shape of the weight array, in PyTorch's layout ({@link Dense}: (out, in); {@link Conv}: (out, in, kh, kw)).
     *
     * @param input the shape of one example's input
     * @return the dimensions, empty for a layer without weights (the default)
     */
    default long[] weightShape(Shape input) {
        return new long[0];
    }

    /**
     * The number of bias entries.
     *
     * @param input the shape of one example's input
     * @return the length of b, 0 for a layer without bias (the default)
     */
    default long biasCount(Shape input) {
        return 0;
    }

    /**
     * Whether this layer has a weight array (and so a place in the numbering W0, b0, W1, b1, …).
     *
     * @return true for layers with parameters ({@link WeightedLayer}s), false by default
     */
    default boolean hasParameters() {
        return false;
    }

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

    /**
     * A convolution with bias: {@code z = c·(W ⋆ h) + s·b}.
     *
     * @param channels the output channels C_out, ≥ 1
     * @param window   the kernel's size, strides and padding
     * @param wStd     σ_w of this layer, positive and finite
     * @param bStd     σ_b of this layer, ≥ 0 and finite
     * @return the layer
     * @throws InvalidInputException for a value out of range
     */
    static Conv conv(int channels, Window window, double wStd, double bStd) {
        return new Conv(channels, window, wStd, bStd, true);
    }

    /**
     * A convolution without bias parameters: {@code z = c·(W ⋆ h)}.
     *
     * @param channels the output channels C_out, ≥ 1
     * @param window   the kernel's size, strides and padding
     * @param wStd     σ_w of this layer, positive and finite
     * @return the layer
     * @throws InvalidInputException for a value out of range
     */
    static Conv convNoBias(int channels, Window window, double wStd) {
        return new Conv(channels, window, wStd, 0.0, false);
    }

    /**
     * The mean over a window of each channel (padding zeros counted).
     *
     * @param window the pooling window, its strides and padding
     * @return the layer
     * @throws InvalidInputException when window is null
     */
    static AvgPool avgPool(Window window) {
        return new AvgPool(window);
    }

    /**
     * The mean of each channel over the whole image: (H, W, C) → (C).
     *
     * @return the layer
     */
    static GlobalAvgPool globalAvgPool() {
        return new GlobalAvgPool();
    }

    /**
     * An image as a flat vector in PyTorch's (C, H, W) order.
     *
     * @return the layer
     */
    static Flatten flatten() {
        return new Flatten();
    }
}

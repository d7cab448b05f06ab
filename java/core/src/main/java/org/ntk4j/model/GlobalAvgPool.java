package org.ntk4j.model;

import org.ntk4j.InvalidInputException;

/**
 * The mean of each channel over all H·W positions of an (H, W, C) image: {@code z[c] = (1/(H·W)) · Σ_{y, x}
 * h[y, x, c]}, a flat (C) output — neural-tangents' {@code stax.GlobalAvgPool}, PyTorch's
 * {@code AdaptiveAvgPool2d(1)} followed by {@code Flatten}. No parameters.
 */
public record GlobalAvgPool() implements Layer {

    /**
     * (C).
     *
     * @throws InvalidInputException when the input is not an image
     */
    @Override
    public Shape outputShape(Shape input) {
        Window.requireImage(input, "a gap layer");
        return Shape.flat(input.dim(2));
    }

    /**
     * {@code gap}.
     */
    @Override
    public String spec() {
        return "gap";
    }
}

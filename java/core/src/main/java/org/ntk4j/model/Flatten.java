package org.ntk4j.model;

import org.ntk4j.InvalidInputException;

/**
 * An (H, W, C) image as a flat vector of H·W·C features in PyTorch's (C, H, W) order: entry (y, x, c) becomes
 * feature {@code c·H·W + y·W + x} — what {@code nn.Flatten} makes of an NCHW tensor, so that the {@code Linear} after
 * it takes a PyTorch model's weights unchanged. (neural-tangents' {@code stax.Flatten} keeps the NHWC order
 * {@code (y·W + x)·C + c} instead; the two differ by a permutation of the next dense layer's columns.) A flat input
 * passes unchanged. No parameters.
 */
public record Flatten() implements Layer {

    /**
     * (H·W·C), or the input itself when it is flat.
     *
     * @throws InvalidInputException when the input is neither flat nor an image
     */
    @Override
    public Shape outputShape(Shape input) {
        if (input.isFlat()) {
            return input;
        }
        Window.requireImage(input, "a flatten layer");
        return Shape.flat(input.size());
    }

    /**
     * {@code flatten}.
     */
    @Override
    public String spec() {
        return "flatten";
    }
}

package org.ntk4j.model;

import org.ntk4j.InvalidInputException;

/**
 * The mean over a kh×kw {@link Window} of each channel of an (H, W, C) image: {@code z[y', x', c] =
 * (1/(kh·kw)) · Σ_{dy, dx} h[row(y', dy), col(x', dx), c]}, dividing by the window's area even where it covers
 * padding zeros — neural-tangents' {@code stax.AvgPool} default and PyTorch's {@code AvgPool2d(count_include_pad=True)}.
 * With {@link Padding#CIRCULAR} the window wraps around the image instead. No parameters.
 *
 * @param window the pooling window, its strides and padding
 */
public record AvgPool(Window window) implements Layer {

    /**
     * Checks that the window is given.
     *
     * @throws InvalidInputException when window is null
     */
    public AvgPool {
        if (window == null) {
            throw new InvalidInputException("an avgpool layer needs its window");
        }
    }

    /**
     * (H', W', C).
     *
     * @throws InvalidInputException when the input is not an image, or a valid window does not fit it
     */
    @Override
    public Shape outputShape(Shape input) {
        long[] hw = window.outputSize(input, "an avgpool layer");
        return Shape.of(hw[0], hw[1], input.dim(2));
    }

    /**
     * {@code avgpool(KHxKW,padding,stride=S)}, e.g. {@code avgpool(2x2,valid,stride=2)}.
     */
    @Override
    public String spec() {
        return "avgpool(" + window.spec() + ")";
    }
}

package org.ntk4j.model;

import org.ntk4j.InvalidInputException;

/**
 * A fully connected layer on a flat input of n_in features: {@code z = c·W·h + s·b} with W of shape (width, n_in)
 * (PyTorch's {@code Linear} layout) and b of length width. The multipliers follow the network's
 * {@link Parameterization}: in the ntk one {@code c = wStd/√n_in}, {@code s = bStd} and W, b ~ N(0, 1); in the
 * standard one {@code c = s = 1}, W ~ N(0, wStd²/n_in) and b ~ N(0, bStd²) — neural-tangents' {@code stax.Dense}.
 *
 * @param width the number of outputs, ≥ 1
 * @param wStd  σ_w, positive and finite
 * @param bStd  σ_b, ≥ 0 and finite; stored as 0 without bias
 * @param bias  whether the layer has bias parameters (σ_b = 0 with bias is another parameter count than no bias)
 */
public record Dense(int width, double wStd, double bStd, boolean bias) implements WeightedLayer {

    /**
     * Checks the values; without bias σ_b is stored as 0.
     *
     * @throws InvalidInputException naming the value out of range
     */
    public Dense {
        if (width < 1) {
            throw new InvalidInputException("a dense layer's width must be at least 1, got " + width);
        }
        Scales.check(wStd, bStd);
        if (!bias) {
            bStd = 0.0;
        }
    }

    /**
     * (width): a dense layer reads a flat input.
     *
     * @throws InvalidInputException when the input is not flat or has 2^31 features or more
     */
    @Override
    public Shape outputShape(Shape input) {
        inputWidth(input);
        return Shape.flat(width);
    }

    /**
     * (width, n_in).
     */
    @Override
    public long[] weightShape(Shape input) {
        return new long[] {width, inputWidth(input)};
    }

    /**
     * width with bias, else 0.
     */
    @Override
    public long biasCount(Shape input) {
        return bias ? width : 0;
    }

    /**
     * n_in.
     */
    @Override
    public int fanIn(Shape input) {
        return inputWidth(input);
    }

    /**
     * width·n_in.
     */
    @Override
    public long multiplyAdds(Shape input) {
        return (long) width * inputWidth(input);
    }

    /**
     * {@code dense(width,wStd,bStd)}, or {@code dense(width,wStd)} without bias; the numbers as
     * {@link Double#toString} writes them, so that they read back exactly.
     */
    @Override
    public String spec() {
        return "dense(" + width + Scales.spec(wStd, bStd, bias) + ")";
    }

    /**
     * n_in, the number of features this layer reads.
     *
     * @param input the shape of one example's input
     * @return its size
     * @throws InvalidInputException when the input is not flat (an image needs {@link Flatten} or
     *                               {@link GlobalAvgPool} first: neural-tangents' Dense would act on the channel axis
     *                               alone, PyTorch's Linear on the last axis — a reading ntk4j does not guess) or too
     *                               large for one row of W
     */
    public int inputWidth(Shape input) {
        if (!input.isFlat()) {
            throw new InvalidInputException("a dense layer reads a flat input, got " + input
                    + "; put flatten or gap before it");
        }
        return input.intSize("the input of a dense layer");
    }
}

package org.ntk4j.model;

import org.ntk4j.InvalidInputException;

/**
 * A 2-D convolution (cross-correlation, as PyTorch's {@code Conv2d} and neural-tangents' {@code stax.Conv}) of an
 * (H, W, C_in) image to (H', W', C_out) with a kh×kw {@link Window}: for output position (y', x') and channel o
 * <pre>
 *   z[y', x', o] = c · Σ_{i, dy, dx} W[o, i, dy, dx] · h[row(y', dy), col(x', dx), i] + s · b[o]
 * </pre>
 * where row/col are the window's {@link Window#sourceRow source positions} (a padding zero where there is none). W
 * has PyTorch's {@code Conv2d.weight} layout (C_out, C_in, kh, kw), row-major, so one row (one output channel) holds
 * fan_in = C_in·kh·kw entries; b has C_out. Images are NHWC: entry (y, x, i) of an example sits at
 * {@code (y·W + x)·C_in + i} of its row. The multipliers follow the {@link Parameterization} as for any
 * {@link WeightedLayer}: 'ntk' {@code c = wStd/√(C_in·kh·kw)}, {@code s = bStd}; 'standard' {@code c = s = 1},
 * W ~ N(0, wStd²/(C_in·kh·kw)), b ~ N(0, bStd²).
 *
 * @param channels C_out, ≥ 1
 * @param window   the kernel's size, strides and padding
 * @param wStd     σ_w, positive and finite
 * @param bStd     σ_b, ≥ 0 and finite; stored as 0 without bias
 * @param bias     whether the layer has bias parameters
 */
public record Conv(int channels, Window window, double wStd, double bStd, boolean bias) implements WeightedLayer {

    /**
     * Checks the values; without bias σ_b is stored as 0.
     *
     * @throws InvalidInputException naming the value out of range
     */
    public Conv {
        if (channels < 1) {
            throw new InvalidInputException("a conv layer's channel count must be at least 1, got " + channels);
        }
        if (window == null) {
            throw new InvalidInputException("a conv layer needs its window");
        }
        Scales.check(wStd, bStd);
        if (!bias) {
            bStd = 0.0;
        }
    }

    /**
     * (H', W', C_out), H' and W' as the window's {@link Padding} says.
     *
     * @throws InvalidInputException when the input is not an image, or a valid window does not fit it
     */
    @Override
    public Shape outputShape(Shape input) {
        long[] hw = window.outputSize(input, "a conv layer");
        fanIn(input);
        return Shape.of(hw[0], hw[1], channels);
    }

    /**
     * (C_out, C_in, kh, kw).
     */
    @Override
    public long[] weightShape(Shape input) {
        Window.requireImage(input, "a conv layer");
        return new long[] {channels, input.dim(2), window.height(), window.width()};
    }

    /**
     * C_out with bias, else 0.
     */
    @Override
    public long biasCount(Shape input) {
        return bias ? channels : 0;
    }

    /**
     * C_in·kh·kw.
     *
     * @throws InvalidInputException when the input is not an image or a row of W would hold 2^31 entries or more
     */
    @Override
    public int fanIn(Shape input) {
        Window.requireImage(input, "a conv layer");
        long n = input.dim(2) * window.area();
        if (n > Integer.MAX_VALUE) {
            throw new InvalidInputException("a conv layer's fan-in C_in·kh·kw = " + n + " is 2^31 or more");
        }
        return (int) n;
    }

    /**
     * C_out·C_in·kh·kw·H'·W'.
     */
    @Override
    public long multiplyAdds(Shape input) {
        Shape out = outputShape(input);
        return (long) channels * fanIn(input) * out.dim(0) * out.dim(1);
    }

    /**
     * {@code conv(C_out,KHxKW,padding,stride=S,wStd,bStd)}, or without bStd when there is no bias, e.g.
     * {@code conv(32,3x3,same,stride=1,1.0,0.0)}.
     */
    @Override
    public String spec() {
        return "conv(" + channels + "," + window.spec() + Scales.spec(wStd, bStd, bias) + ")";
    }
}

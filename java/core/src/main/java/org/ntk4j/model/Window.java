package org.ntk4j.model;

import org.ntk4j.InvalidInputException;

/**
 * The spatial footprint shared by {@link Conv} and {@link AvgPool}: a kh×kw window moved with strides (sh, sw) over
 * an (H, W, C) image with a {@link Padding}. The output has {@link Padding#outputSize} positions along each axis;
 * {@link #sourceRow}/{@link #sourceColumn} say which input entry each window offset reads.
 *
 * @param height  kh, ≥ 1
 * @param width   kw, ≥ 1
 * @param strideH sh, ≥ 1
 * @param strideW sw, ≥ 1
 * @param padding how the border is treated
 */
public record Window(int height, int width, int strideH, int strideW, Padding padding) {

    /**
     * Checks the values.
     *
     * @throws InvalidInputException naming the value out of range
     */
    public Window {
        if (height < 1 || width < 1) {
            throw new InvalidInputException("a window must be at least 1x1, got " + height + "x" + width);
        }
        if (strideH < 1 || strideW < 1) {
            throw new InvalidInputException("strides must be at least 1, got " + strideH + "x" + strideW);
        }
        if (padding == null) {
            throw new InvalidInputException("a window needs its padding (same, valid or circular)");
        }
    }

    /**
     * kh·kw, the number of positions in the window.
     *
     * @return the window's area
     */
    public int area() {
        return height * width;
    }

    /**
     * The output's (H', W') for an image of this height and width.
     *
     * @param input the (H, W, C) image a layer reads
     * @param what  the layer, for messages (e.g. "a conv layer")
     * @return {H', W'}
     * @throws InvalidInputException when the input is not an image or a valid window does not fit
     */
    public long[] outputSize(Shape input, String what) {
        requireImage(input, what);
        try {
            return new long[] {padding.outputSize(input.dim(0), height, strideH),
                    padding.outputSize(input.dim(1), width, strideW)};
        } catch (InvalidInputException e) {
            throw new InvalidInputException(what + " with a " + height + "x" + width + " window reads " + input + ": "
                    + e.getMessage());
        }
    }

    /**
     * The input row read by output row {@code out} at window row {@code dy}.
     *
     * @param out the output row
     * @param dy  the row inside the window, in [0, kh)
     * @param h   the input height H
     * @return the row in [0, H), or −1 for a padding zero
     */
    public long sourceRow(long out, int dy, long h) {
        return padding.source(out, dy, h, height, strideH);
    }

    /**
     * The input column read by output column {@code out} at window column {@code dx}.
     *
     * @param out the output column
     * @param dx  the column inside the window, in [0, kw)
     * @param w   the input width W
     * @return the column in [0, W), or −1 for a padding zero
     */
    public long sourceColumn(long out, int dx, long w) {
        return padding.source(out, dx, w, width, strideW);
    }

    /**
     * The window's part of a layer token: {@code 3x3,same,stride=2} (or {@code stride=2x1} for unequal strides).
     *
     * @return the text the grammar reads back
     */
    public String spec() {
        return height + "x" + width + "," + padding.id() + ",stride="
                + (strideH == strideW ? Integer.toString(strideH) : strideH + "x" + strideW);
    }

    /**
     * Throws unless the shape is an image (H, W, C).
     *
     * @param input the shape a layer reads
     * @param what  the layer, for the message
     * @throws InvalidInputException when the shape does not have three dimensions
     */
    static void requireImage(Shape input, String what) {
        if (input.rank() != 3) {
            throw new InvalidInputException(what + " reads an image HxWxC, got " + input);
        }
    }
}

package org.ntk4j.model;

import java.util.Locale;
import org.ntk4j.InvalidInputException;

/**
 * How a {@link Window} treats the image's border, as neural-tangents' {@code stax.Padding}. Along each spatial axis of
 * size n read by a window of size k with stride s:
 * <ul>
 *   <li>{@link #SAME}: the output has ⌈n/s⌉ positions; the missing {@code max((⌈n/s⌉−1)·s + k − n, 0)} entries are
 *       zeros, half of them (rounded down) before the first entry and the rest after the last (XLA's and
 *       TensorFlow's rule; PyTorch's symmetric {@code padding=(k−1)/2} agrees whenever that total is even);</li>
 *   <li>{@link #VALID}: no padding, ⌊(n − k)/s⌋ + 1 positions (the window must fit: n ≥ k);</li>
 *   <li>{@link #CIRCULAR}: the positions and amounts of {@link #SAME}, the padding taken from the other side of the
 *       image (periodic boundary; PyTorch's {@code padding_mode='circular'}).</li>
 * </ul>
 */
public enum Padding {
    /** Zeros around the border, ⌈n/s⌉ output positions. */
    SAME,
    /** No padding: only positions where the whole window fits. */
    VALID,
    /** As {@link #SAME}, but the image wraps around instead of being padded with zeros. */
    CIRCULAR;

    /**
     * Lower-case name as the architecture grammar writes it.
     *
     * @return {@code same}, {@code valid} or {@code circular}
     */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code same}, {@code valid} or {@code circular} (any case).
     *
     * @param s the name
     * @return the padding
     * @throws InvalidInputException for any other name
     */
    public static Padding parse(String s) {
        for (Padding p : values()) {
            if (p.name().equalsIgnoreCase(s.trim())) {
                return p;
            }
        }
        throw new InvalidInputException("unknown padding '" + s + "' (expected same, valid or circular)");
    }

    /**
     * The number of output positions along one axis.
     *
     * @param n      the input size along the axis, ≥ 1
     * @param k      the window size along the axis, ≥ 1
     * @param stride the step between windows, ≥ 1
     * @return ⌈n/s⌉ for {@link #SAME} and {@link #CIRCULAR}, ⌊(n − k)/s⌋ + 1 for {@link #VALID}
     * @throws InvalidInputException for {@link #VALID} when the window is larger than the input
     */
    public long outputSize(long n, int k, int stride) {
        if (this != VALID) {
            return (n + stride - 1) / stride;
        }
        if (n < k) {
            throw new InvalidInputException("a window of " + k + " does not fit an axis of " + n
                    + " without padding (valid); use same or circular padding or a smaller window");
        }
        return (n - k) / stride + 1;
    }

    /**
     * The number of padded entries before the first input entry along one axis.
     *
     * @param n      the input size along the axis
     * @param k      the window size along the axis
     * @param stride the step between windows
     * @return half the total padding, rounded down; 0 for {@link #VALID}
     */
    public long padBefore(long n, int k, int stride) {
        if (this == VALID) {
            return 0;
        }
        return Math.max((outputSize(n, k, stride) - 1) * stride + k - n, 0) / 2;
    }

    /**
     * Which input entry the window at output position {@code out} reads at its offset {@code offset}.
     *
     * @param out    the output position, in [0, {@link #outputSize})
     * @param offset the offset inside the window, in [0, k)
     * @param n      the input size along the axis
     * @param k      the window size along the axis
     * @param stride the step between windows
     * @return the input index in [0, n), or −1 where the window reads a padding zero
     */
    public long source(long out, int offset, long n, int k, int stride) {
        long pos = out * stride + offset - padBefore(n, k, stride);
        if (pos >= 0 && pos < n) {
            return pos;
        }
        return this == CIRCULAR ? Math.floorMod(pos, n) : -1;
    }
}

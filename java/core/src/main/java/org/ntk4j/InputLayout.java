package org.ntk4j;

import java.util.Arrays;
import java.util.Locale;
import org.ntk4j.model.Shape;

/**
 * How an array of images orders its axes. ntk4j computes on NHWC examples (neural-tangents' layout): one example is
 * a row of H·W·C values with entry (y, x, c) at {@code (y·W + x)·C + c}. {@link #examples} reads an array in either
 * layout into such rows, converting PyTorch's NCHW once on reading.
 */
public enum InputLayout {
    /** (N, H, W, C), or (N, H, W) for one channel: neural-tangents' and ntk4j's own layout. */
    NHWC,
    /** (N, C, H, W), or (N, H, W) for one channel: PyTorch's layout. */
    NCHW;

    /**
     * Lower-case name as the command line writes it.
     *
     * @return {@code nhwc} or {@code nchw}
     */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code nhwc} or {@code nchw} (any case).
     *
     * @param s the name
     * @return the layout
     * @throws InvalidInputException for any other name
     */
    public static InputLayout parse(String s) {
        for (InputLayout l : values()) {
            if (l.name().equalsIgnoreCase(s.trim())) {
                return l;
            }
        }
        throw new InvalidInputException("unknown layout '" + s + "' (expected nhwc or nchw)");
    }

    /**
     * The examples of an array as rows, one example per row in NHWC order. For flat examples {@code (d)} the array is
     * (N, d), or (N) when d = 1, whatever the layout. For images {@code (H, W, C)} it is (N, H, W, C) in
     * {@link #NHWC}, (N, C, H, W) in {@link #NCHW}, (N, H, W) in either when C = 1, or (N, H·W·C) already flattened in
     * this layout's order.
     *
     * @param data    the array, N ≥ 0 examples along its first axis
     * @param example the shape of one example, as the network reads it
     * @return an (N, H·W·C) matrix (over the same array when no conversion is needed)
     * @throws InvalidInputException when the array's shape does not hold examples of this shape in this layout
     */
    public Matrix examples(Tensor data, Shape example) {
        int[] s = data.shape();
        int d = example.intSize("one example");
        if (example.isFlat() || example.rank() != 3) {
            if (s.length == 1 && d == 1) {
                return data.reshape(s[0], 1).asMatrix();
            }
            if (s.length == 2 && s[1] == d) {
                return data.asMatrix();
            }
            throw mismatch(s, example, "(N, " + d + ")");
        }
        int h = (int) example.dim(0);
        int w = (int) example.dim(1);
        int c = (int) example.dim(2);
        int[] ours = this == NHWC ? new int[] {h, w, c} : new int[] {c, h, w};
        boolean flattened = s.length == 2 && s[1] == d;
        boolean single = s.length == 3 && c == 1 && s[1] == h && s[2] == w;
        boolean full = s.length == 4 && Arrays.equals(Arrays.copyOfRange(s, 1, 4), ours);
        if (!flattened && !single && !full) {
            throw mismatch(s, example, "(N, " + ours[0] + ", " + ours[1] + ", " + ours[2] + ") [" + id() + "]"
                    + (c == 1 ? ", (N, " + h + ", " + w + ")" : "") + " or (N, " + d + ")");
        }
        Matrix rows = data.reshape(s[0], d).asMatrix();
        if (this == NHWC || c == 1) {
            return rows;
        }
        Matrix out = Matrix.zeros(s[0], d);
        double[] from = rows.data();
        double[] to = out.data();
        for (int n = 0; n < s[0]; n++) {
            int base = n * d;
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        to[base + (y * w + x) * c + ch] = from[base + (ch * h + y) * w + x];
                    }
                }
            }
        }
        return out;
    }

    private InvalidInputException mismatch(int[] s, Shape example, String wanted) {
        return new InvalidInputException("an array of shape " + Arrays.toString(s).replace('[', '(').replace(']', ')')
                + " does not hold examples of " + example + " (expected " + wanted + ")");
    }
}

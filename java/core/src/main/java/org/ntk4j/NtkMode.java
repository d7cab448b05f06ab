package org.ntk4j;

/**
 * Which part of the output-by-output kernel Θ_ab(x, x') is returned.
 */
public enum NtkMode {
    /** Every output pair: shape (N1, N2, O, O). */
    FULL,
    /** The mean over outputs of Θ_aa, (1/O)·Σ_a Θ_aa (neural-tangents' {@code trace_axes}): shape (N1, N2). */
    TRACE,
    /** Θ_aa for every output a: shape (N1, N2, O). */
    DIAGONAL;

    /**
     * The result's shape for these sizes.
     *
     * @param n1      examples on the first side
     * @param n2      examples on the second side
     * @param outputs O
     * @return a new shape array
     */
    public int[] shape(int n1, int n2, int outputs) {
        return switch (this) {
            case FULL -> new int[] {n1, n2, outputs, outputs};
            case TRACE -> new int[] {n1, n2};
            case DIAGONAL -> new int[] {n1, n2, outputs};
        };
    }

    /**
     * Number of output values per (x, x') pair.
     *
     * @param outputs O
     * @return O², 1 or O
     */
    public int valuesPerPair(int outputs) {
        return switch (this) {
            case FULL -> outputs * outputs;
            case TRACE -> 1;
            case DIAGONAL -> outputs;
        };
    }

    /**
     * This mode's values from a full kernel of shape (N1, N2, O, O): the identity for FULL, Θ_aa for DIAGONAL, their
     * mean for TRACE. Used by implementations that only produce full kernels.
     *
     * @param full a kernel of shape (N1, N2, O, O); read, not kept (FULL returns it itself)
     * @return the kernel in this mode, stored as {@code full} is (float32 or float64)
     */
    public Tensor fromFull(Tensor full) {
        int[] s = full.shape();
        if (s.length != 4 || s[2] != s[3]) {
            throw new InvalidInputException("not a full kernel of shape (N1, N2, O, O): " + java.util.Arrays.toString(s));
        }
        if (this == FULL) {
            return full;
        }
        int pairs = s[0] * s[1];
        int o = s[2];
        Tensor out = Tensor.zeros(full.float32() ? Precision.FP32 : Precision.FP64, shape(s[0], s[1], o));
        for (int p = 0; p < pairs; p++) {
            double sum = 0;
            for (int a = 0; a < o; a++) {
                double v = full.at(((long) p * o + a) * o + a);
                if (this == DIAGONAL) {
                    out.setAt((long) p * o + a, v);
                }
                sum += v;
            }
            if (this == TRACE) {
                out.setAt(p, sum / o);
            }
        }
        return out;
    }

    /**
     * Parses {@code full}, {@code trace} or {@code diagonal} (any case).
     *
     * @param s the name
     * @return the mode
     * @throws InvalidInputException for any other name
     */
    public static NtkMode parse(String s) {
        for (NtkMode m : values()) {
            if (m.name().equalsIgnoreCase(s)) {
                return m;
            }
        }
        throw new InvalidInputException("unknown NTK mode '" + s + "' (expected full, trace or diagonal)");
    }
}

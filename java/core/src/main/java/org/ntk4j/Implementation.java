package org.ntk4j;

/**
 * How the empirical NTK is computed. Both methods give the same kernel up to rounding; they differ in cost.
 */
public enum Implementation {
    /**
     * Pick per call. Picks {@link #STRUCTURED} for every dense MLP: it is never slower than building the Jacobian
     * for this model family, and it needs far less memory. The CUDA and CPU backends make the same choice. For a
     * network with convolutions the CPU backend picks whichever costs less per pair of examples (see its class
     * comment): over large images that is {@link #JACOBIAN_CONTRACTION}.
     */
    AUTO,
    /**
     * Build the per-example Jacobians J ∈ R^{(N·O)×P} (in chunks of P) and contract them, Θ = J1·J2ᵀ. Generic,
     * memory-hungry (N·O·chunk), cost N1·N2·O²·P. Wins only when P is tiny compared with N·O·width — rarely for
     * MLPs; it is here because it is the definition, works for any model, and checks the structured path.
     */
    JACOBIAN_CONTRACTION,
    /**
     * Use the layer structure of a dense network: per layer, the Gram of the activations h and the Gram of the
     * backpropagated δ, multiplied elementwise and summed. Memory O(N·O·width), cost ~N1·N2·O²·Σn_l + N·O·P
     * (trace mode: the O² becomes O). Wins whenever width ≫ 1, and is the only way to reach very large widths.
     */
    STRUCTURED;

    /**
     * Parses {@code auto}, {@code jacobian} / {@code jacobian_contraction} / {@code jc} or {@code structured} (any
     * case).
     *
     * @param s the name
     * @return the implementation
     * @throws InvalidInputException for any other name
     */
    public static Implementation parse(String s) {
        String k = s.trim().toLowerCase(java.util.Locale.ROOT);
        return switch (k) {
            case "auto" -> AUTO;
            case "jacobian", "jacobian_contraction", "jc" -> JACOBIAN_CONTRACTION;
            case "structured" -> STRUCTURED;
            default -> throw new InvalidInputException(
                    "unknown implementation '" + s + "' (expected auto, jacobian or structured)");
        };
    }
}

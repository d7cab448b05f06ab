package org.ntk4j;

/** Which kernel of a network's outputs: its tangent kernel or its output covariance. */
public enum KernelKind {
    /**
     * The neural tangent kernel Θ_ab(x, x') = Σ_p ∂f_a(x)/∂θ_p · ∂f_b(x')/∂θ_p (empirical), or Θ^L ⊗ I_O at
     * infinite width: the kernel gradient descent trains with.
     */
    NTK,
    /**
     * The neural-network Gaussian process kernel, the output covariance: f_a(x)·f_b(x') for one network (empirical),
     * or Σ^L ⊗ I_O, the covariance over random initialisations, at infinite width.
     */
    NNGP;

    /**
     * Parses {@code ntk} or {@code nngp} (any case, surrounding spaces ignored).
     *
     * @param s the name
     * @return the kind
     * @throws InvalidInputException for any other name
     */
    public static KernelKind parse(String s) {
        for (KernelKind k : values()) {
            if (s != null && k.name().equalsIgnoreCase(s.trim())) {
                return k;
            }
        }
        throw new InvalidInputException("unknown kernel '" + s + "' (expected ntk or nngp)");
    }

    /**
     * The lower-case name, as the command line and file names write it.
     *
     * @return "ntk" or "nngp"
     */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

package org.ntk4j.model;

import java.util.Locale;
import org.ntk4j.InvalidInputException;

/**
 * Where the 1/√fan-in scaling lives. Both give the same function at initialisation; they differ in the gradient
 * scale, hence in the NTK and its infinite-width limit.
 */
public enum Parameterization {
    /** W, b ~ N(0, 1); the layer multiplies by c = σ_w/√n_in and s = σ_b. The NTK has a finite limit. */
    NTK,
    /** W ~ N(0, σ_w²/n_in), b ~ N(0, σ_b²); c = s = 1 (PyTorch's {@code Linear} convention). The NTK grows with width. */
    STANDARD;

    /**
     * Lower-case name as used on the command line and in files.
     *
     * @return {@code "ntk"} or {@code "standard"}
     */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code ntk} or {@code standard} (any case).
     *
     * @param s the name
     * @return the parameterization
     * @throws InvalidInputException for any other name
     */
    public static Parameterization parse(String s) {
        for (Parameterization p : values()) {
            if (p.name().equalsIgnoreCase(s.trim())) {
                return p;
            }
        }
        throw new InvalidInputException("unknown parameterization '" + s + "' (expected ntk or standard)");
    }
}

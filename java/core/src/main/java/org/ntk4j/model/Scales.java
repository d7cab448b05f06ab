package org.ntk4j.model;

import org.ntk4j.InvalidInputException;

/** σ_w and σ_b of a {@link WeightedLayer}: their check and their place in a layer token. */
final class Scales {
    private Scales() {
    }

    /** Checks σ_w and σ_b, naming the one out of range. */
    static void check(double wStd, double bStd) {
        if (!(wStd > 0) || !Double.isFinite(wStd)) {
            throw new InvalidInputException("σ_w must be positive and finite, got " + wStd);
        }
        if (!(bStd >= 0) || !Double.isFinite(bStd)) {
            throw new InvalidInputException("σ_b must be non-negative and finite, got " + bStd);
        }
    }

    /**
     * The scales as a token ends: {@code ,wStd,bStd}, or {@code ,wStd} without bias; the numbers as
     * {@link Double#toString} writes them, so that they read back exactly.
     */
    static String spec(double wStd, double bStd, boolean bias) {
        return "," + wStd + (bias ? "," + bStd : "");
    }
}

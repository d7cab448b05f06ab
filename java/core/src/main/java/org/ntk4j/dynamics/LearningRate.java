package org.ntk4j.dynamics;

import org.ntk4j.InvalidInputException;

/**
 * The step size η of gradient descent on L = ½·mean((f − y)²): either a fixed value, or chosen automatically as a
 * fraction of the stability limit 2n/λ_max(Θ) of the kernel at θ_0 (see {@link LearningRates}). Whoever runs the
 * dynamics resolves it and reports the η it used.
 */
public sealed interface LearningRate {

    /**
     * A fixed step size.
     *
     * @param eta η, positive and finite
     */
    record Fixed(double eta) implements LearningRate {
        /**
         * Checks η.
         *
         * @throws InvalidInputException when η is not positive and finite
         */
        public Fixed {
            if (!(eta > 0) || !Double.isFinite(eta)) {
                throw new InvalidInputException("learning rate must be positive and finite, got " + eta);
            }
        }
    }

    /**
     * fraction·2n/λ_max(Θ), with Θ the kernel at θ_0 and n = N·O the number of training targets.
     *
     * @param fraction the fraction of the stability limit, in (0, 1)
     */
    record Automatic(double fraction) implements LearningRate {
        /**
         * Checks the fraction.
         *
         * @throws InvalidInputException when the fraction is not in (0, 1)
         */
        public Automatic {
            if (!(fraction > 0 && fraction < 1)) {
                throw new InvalidInputException("learning-rate fraction must be in (0, 1), got " + fraction);
            }
        }
    }

    /**
     * A fixed step size.
     *
     * @param eta η, positive and finite
     * @return the learning rate
     * @throws InvalidInputException when η is not positive and finite
     */
    static LearningRate fixed(double eta) {
        return new Fixed(eta);
    }

    /**
     * {@link LearningRates#DEFAULT_FRACTION} of the stability limit: η = n/λ_max, which damps the top mode in one step.
     *
     * @return the learning rate
     */
    static LearningRate automatic() {
        return new Automatic(LearningRates.DEFAULT_FRACTION);
    }

    /**
     * A fraction of the stability limit 2n/λ_max.
     *
     * @param fraction the fraction, in (0, 1)
     * @return the learning rate
     * @throws InvalidInputException when the fraction is not in (0, 1)
     */
    static LearningRate automatic(double fraction) {
        return new Automatic(fraction);
    }

    /**
     * η for a kernel whose largest eigenvalue is known (computed only when automatic).
     *
     * @param lambdaMax λ_max of the kernel at θ_0, asked for only when automatic
     * @param n         N·O, the number of training targets
     * @return η
     */
    default double resolve(java.util.function.DoubleSupplier lambdaMax, int n) {
        return switch (this) {
            case Fixed f -> f.eta();
            case Automatic a -> LearningRates.fromEigenvalue(lambdaMax.getAsDouble(), n, a.fraction());
        };
    }
}

package org.ntk4j.linalg;

import org.ntk4j.InvalidInputException;

/**
 * A kernel system (Θ + λI)·α = y that has no unique solution in floating point: Θ + λI is singular or not positive
 * definite (duplicated examples with λ = 0, more targets than the network has parameters, nearly dependent
 * examples). A property of the data and the ridge, so a bad-input exception; a larger ridge fixes it.
 */
public class SingularSystemException extends InvalidInputException {
    /**
     * An exception with this message.
     *
     * @param message what was found, and the remedy
     */
    public SingularSystemException(String message) {
        super(message);
    }
}

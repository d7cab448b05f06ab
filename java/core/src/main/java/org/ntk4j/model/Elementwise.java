package org.ntk4j.model;

import org.ntk4j.InvalidInputException;

/**
 * φ applied to every entry of its input ({@code stax.Relu()}, {@code stax.Erf()}, … in neural-tangents); no
 * parameters, the output has the input's shape.
 *
 * @param activation φ
 */
public record Elementwise(Activation activation) implements Layer {

    /**
     * Checks that φ is given.
     *
     * @throws InvalidInputException when activation is null
     */
    public Elementwise {
        if (activation == null) {
            throw new InvalidInputException("an activation layer needs its activation");
        }
    }

    /**
     * The input's shape.
     */
    @Override
    public Shape outputShape(Shape input) {
        return input;
    }

    /**
     * The activation's id, e.g. {@code relu}.
     */
    @Override
    public String spec() {
        return activation.id();
    }
}

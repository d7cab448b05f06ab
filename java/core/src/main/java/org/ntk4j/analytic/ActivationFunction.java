package org.ntk4j.analytic;

import java.util.function.DoubleUnaryOperator;
import org.ntk4j.InvalidInputException;
import org.ntk4j.model.Activation;

/**
 * An activation φ and its derivative φ' as the numerical evaluators call them: a built-in {@link Activation} or a
 * caller's pair of functions. Values that are not finite are reported as bad input, naming the point.
 */
record ActivationFunction(String name, DoubleUnaryOperator phi, DoubleUnaryOperator dphi) {

    ActivationFunction {
        if (name == null || phi == null || dphi == null) {
            throw new InvalidInputException("an activation needs a name, φ and its derivative φ'");
        }
    }

    static ActivationFunction of(Activation activation) {
        if (activation == null) {
            throw new InvalidInputException("activation must be given");
        }
        return new ActivationFunction(activation.id(), activation::apply, activation::derivative);
    }

    double apply(double x) {
        return phi.applyAsDouble(x);
    }

    double derivative(double x) {
        return dphi.applyAsDouble(x);
    }

    /** φ(x), checked to be finite. */
    double applyChecked(double x) {
        return finite(phi.applyAsDouble(x), "φ", x);
    }

    /** φ'(x), checked to be finite. */
    double derivativeChecked(double x) {
        return finite(dphi.applyAsDouble(x), "φ'", x);
    }

    private double finite(double v, String what, double x) {
        if (!Double.isFinite(v)) {
            throw new InvalidInputException("activation " + name + ": " + what + "(" + x + ") = " + v
                    + " is not finite");
        }
        return v;
    }
}

package org.ntk4j.model;

import java.util.Locale;
import org.apache.commons.numbers.gamma.Erf;
import org.ntk4j.InvalidInputException;

/**
 * Hidden-layer nonlinearities φ with their derivatives, in fp64. Every backend evaluates φ through these (fp32
 * paths round the result), so there is one definition of each function in the project.
 */
public enum Activation {
    /**
     * The rectifier, φ(z) = max(z, 0).
     */
    RELU {
        @Override
        public double apply(double z) {
            return z > 0 ? z : 0.0;
        }

        @Override
        public double derivative(double z) {
            return z > 0 ? 1.0 : 0.0;
        }

        @Override
        public double secondDerivative(double z) {
            return 0.0;
        }
    },
    /** The error function itself, φ(z) = erf(z), as in neural-tangents' {@code Erf}. */
    ERF {
        @Override
        public double apply(double z) {
            return Erf.value(z);
        }

        @Override
        public double derivative(double z) {
            return TWO_OVER_SQRT_PI * Math.exp(-z * z);
        }

        @Override
        public double secondDerivative(double z) {
            return -2 * z * TWO_OVER_SQRT_PI * Math.exp(-z * z);
        }
    },
    /**
     * The hyperbolic tangent, φ(z) = tanh(z).
     */
    TANH {
        @Override
        public double apply(double z) {
            return Math.tanh(z);
        }

        @Override
        public double derivative(double z) {
            double t = Math.tanh(z);
            return 1.0 - t * t;
        }

        @Override
        public double secondDerivative(double z) {
            double t = Math.tanh(z);
            return -2 * t * (1.0 - t * t);
        }
    },
    /** Exact GELU, z·Φ(z) = ½·z·(1 + erf(z/√2)) (not the tanh approximation). */
    GELU {
        @Override
        public double apply(double z) {
            return 0.5 * z * (1.0 + Erf.value(z * INV_SQRT2));
        }

        @Override
        public double derivative(double z) {
            return 0.5 * (1.0 + Erf.value(z * INV_SQRT2)) + z * INV_SQRT_2PI * Math.exp(-0.5 * z * z);
        }

        @Override
        public double secondDerivative(double z) {
            return (2.0 - z * z) * INV_SQRT_2PI * Math.exp(-0.5 * z * z);
        }
    },
    /**
     * No nonlinearity, φ(z) = z: the network is linear in its input.
     */
    IDENTITY {
        @Override
        public double apply(double z) {
            return z;
        }

        @Override
        public double derivative(double z) {
            return 1.0;
        }

        @Override
        public double secondDerivative(double z) {
            return 0.0;
        }
    };

    static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
    static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0);
    static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

    /**
     * φ(z).
     *
     * @param z the pre-activation
     * @return φ(z)
     */
    public abstract double apply(double z);

    /**
     * φ'(z); for relu the derivative at 0 is taken as 0 (as autodiff frameworks do).
     *
     * @param z the pre-activation
     * @return φ'(z)
     */
    public abstract double derivative(double z);

    /**
     * φ''(z), for second-order quantities (Hessian-vector products); relu's is 0 away from the kink (the Hessian
     * almost everywhere, as autodiff frameworks give it).
     *
     * @param z the pre-activation
     * @return φ''(z)
     */
    public abstract double secondDerivative(double z);

    /**
     * Lower-case name as used on the command line and in files.
     *
     * @return e.g. {@code "relu"}
     */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code relu, erf, tanh, gelu, identity} (any case).
     *
     * @param s the name
     * @return the activation
     * @throws InvalidInputException for any other name
     */
    public static Activation parse(String s) {
        for (Activation a : values()) {
            if (a.name().equalsIgnoreCase(s.trim())) {
                return a;
            }
        }
        throw new InvalidInputException("unknown activation '" + s + "' (expected relu, erf, tanh, gelu or identity)");
    }
}

package org.ntk4j.analytic;

import org.ntk4j.InvalidInputException;
import org.ntk4j.model.Activation;

/**
 * The two Gaussian expectations an activation contributes to the infinite-width recursion: for a centred pair
 * (u, v) with covariance [[q11, q12], [q12, q22]],
 * {@code K = E[φ(u)φ(v)]} and {@code K̇ = E[φ'(u)φ'(v)]}.
 *
 * <p>relu, erf and identity use their closed forms (DESIGN.md §1, as neural-tangents). tanh and gelu are integrated
 * numerically on the Cholesky factor of the covariance: u ~ N(0, q11), then v | u ~ N(q12/q11·u,
 * q22 − q12²/q11), each 1-D Gaussian expectation by a composite Gauss–Legendre rule graded around 0, where the
 * activations bend (the package's {@code GradedGaussianRule}). A plain Gauss–Hermite product rule (also offered, as
 * neural-tangents' {@code ElementwiseNumerical} does) spreads its nodes with the standard deviation and steps over
 * the bend once the variance grows: at q = 4 its 96-point rule is off by 1e-4 for tanh, at q = 16 by 1e-2.
 *
 * <p>Accuracy of the default rule ({@value #DEFAULT_ORDER} points per panel, about 200 nodes per direction),
 * measured against an independent composite Gauss–Legendre integration on a uniform grid (see the tests), as the
 * error relative to the Cauchy–Schwarz scale √(K(u,u)·K(v,v)) (K itself can cancel to nearly 0): below 2e-13 for
 * tanh, gelu and erf at every correlation with q11, q22 between 0.01 and 64 (8 points per panel: 1e-10). Cost:
 * about 1–1.5 ms per (q11, q22, q12) on one core, so quadrature kernels suit hundreds of inputs, not tens of
 * thousands; the closed forms cost well under a microsecond.
 */
public abstract sealed class DualActivation permits DualActivation.Relu, DualActivation.Erf, DualActivation.Identity,
        DualActivation.GaussHermite, DualActivation.Graded {

    /** For the permitted subclasses only. */
    DualActivation() {
    }

    /** Gauss–Legendre points per panel of the graded rule used for activations without a closed form. */
    public static final int DEFAULT_ORDER = 10;

    /**
     * The evaluator the library uses for this activation: the closed form where one exists, else the graded
     * quadrature with {@value #DEFAULT_ORDER} points per panel.
     *
     * @param activation the activation
     * @return its evaluator
     */
    public static DualActivation of(Activation activation) {
        return switch (activation) {
            case RELU -> new Relu();
            case ERF -> new Erf();
            case IDENTITY -> new Identity();
            case TANH, GELU -> new Graded(activation, DEFAULT_ORDER);
        };
    }

    /**
     * Product Gauss–Hermite integration for any activation (order m per direction, 1 … 200).
     *
     * @param activation the activation
     * @param order      points per direction, 1 … 200
     * @return the evaluator
     */
    public static DualActivation gaussHermite(Activation activation, int order) {
        return new GaussHermite(activation, order);
    }

    /**
     * Graded composite Gauss–Legendre integration for any activation (points per panel, 1 … 64).
     *
     * @param activation     the activation
     * @param pointsPerPanel Gauss–Legendre points per panel, 1 … 64
     * @return the evaluator
     */
    public static DualActivation graded(Activation activation, int pointsPerPanel) {
        return new Graded(activation, pointsPerPanel);
    }

    /**
     * Whether this evaluator is a closed form (cheap) rather than a quadrature.
     *
     * @return true for a closed form
     */
    public abstract boolean closedForm();

    /**
     * Writes {@code out[0] = K = E[φ(u)φ(v)]} and {@code out[1] = K̇ = E[φ'(u)φ'(v)]}. Requires q11, q22 ≥ 0 and
     * q12² ≤ q11·q22 up to rounding (a correlation slightly outside [−1, 1] from rounding is clipped).
     *
     * @param q11 Var(u)
     * @param q22 Var(v)
     * @param q12 Cov(u, v)
     * @param out receives K and K̇ (at least two values)
     */
    public abstract void evaluate(double q11, double q22, double q12, double[] out);

    /**
     * E[φ(u)φ(v)].
     *
     * @param q11 Var(u)
     * @param q22 Var(v)
     * @param q12 Cov(u, v)
     * @return K
     */
    public double k(double q11, double q22, double q12) {
        double[] out = new double[2];
        evaluate(q11, q22, q12, out);
        return out[0];
    }

    /**
     * E[φ'(u)φ'(v)].
     *
     * @param q11 Var(u)
     * @param q22 Var(v)
     * @param q12 Cov(u, v)
     * @return K̇
     */
    public double kDot(double q11, double q22, double q12) {
        double[] out = new double[2];
        evaluate(q11, q22, q12, out);
        return out[1];
    }

    static void requireCovariance(double q11, double q22, double q12) {
        if (!(q11 >= 0) || !(q22 >= 0) || !Double.isFinite(q11) || !Double.isFinite(q22) || !Double.isFinite(q12)) {
            throw new InvalidInputException("not a covariance: q11 = " + q11 + ", q22 = " + q22 + ", q12 = " + q12);
        }
    }

    /** ReLU: the arc-cosine kernel of degree 1 and 0 (Cho &amp; Saul). */
    static final class Relu extends DualActivation {
        @Override
        public boolean closedForm() {
            return true;
        }

        @Override
        public void evaluate(double q11, double q22, double q12, double[] out) {
            requireCovariance(q11, q22, q12);
            double prod = q11 * q22;
            if (prod == 0) {
                // One side is identically 0, where relu and (by convention) its derivative vanish.
                out[0] = 0;
                out[1] = 0;
                return;
            }
            double norm = Math.sqrt(prod);
            double cos = Math.max(-1.0, Math.min(1.0, q12 / norm));
            double theta = Math.acos(cos);
            // √(q11 q22 − q12²) = norm·sin θ, computed from θ so it stays ≥ 0 when q12 is rounded.
            out[0] = (norm * Math.sin(theta) + (Math.PI - theta) * q12) / (2 * Math.PI);
            out[1] = (Math.PI - theta) / (2 * Math.PI);
        }
    }

    /** erf: Williams' arcsine kernel. */
    static final class Erf extends DualActivation {
        @Override
        public boolean closedForm() {
            return true;
        }

        @Override
        public void evaluate(double q11, double q22, double q12, double[] out) {
            requireCovariance(q11, q22, q12);
            double a = 1 + 2 * q11;
            double b = 1 + 2 * q22;
            double s = Math.max(-1.0, Math.min(1.0, 2 * q12 / Math.sqrt(a * b)));
            out[0] = 2 / Math.PI * Math.asin(s);
            double det = a * b - 4 * q12 * q12;
            // det ≥ a·b − 4·q11·q22 = 1 + 2(q11 + q22) ≥ 1 for a true covariance; guard rounding anyway.
            out[1] = 4 / Math.PI / Math.sqrt(Math.max(det, 1.0));
        }
    }

    static final class Identity extends DualActivation {
        @Override
        public boolean closedForm() {
            return true;
        }

        @Override
        public void evaluate(double q11, double q22, double q12, double[] out) {
            requireCovariance(q11, q22, q12);
            out[0] = q12;
            out[1] = 1.0;
        }
    }

    /** Product Gauss–Hermite on the Cholesky factor of the 2×2 covariance (z-space, order m per direction). */
    static final class GaussHermite extends DualActivation {
        private final Activation activation;
        private final double[] z;
        private final double[] w;

        GaussHermite(Activation activation, int order) {
            if (activation == null) {
                throw new InvalidInputException("activation must be given");
            }
            this.activation = activation;
            double[][] rule = GaussRules.hermite(order);
            this.z = rule[0];
            this.w = rule[1];
        }

        @Override
        public boolean closedForm() {
            return false;
        }

        @Override
        public void evaluate(double q11, double q22, double q12, double[] out) {
            requireCovariance(q11, q22, q12);
            int m = z.length;
            double l11 = Math.sqrt(q11);
            double l21 = l11 > 0 ? q12 / l11 : 0.0;
            double l22 = Math.sqrt(Math.max(0.0, q22 - l21 * l21));
            double k = 0;
            double kd = 0;
            for (int i = 0; i < m; i++) {
                double u = l11 * z[i];
                double mean = l21 * z[i];
                double sk = 0;
                double skd = 0;
                if (l22 == 0) {
                    sk = activation.apply(mean);
                    skd = activation.derivative(mean);
                } else {
                    for (int j = 0; j < m; j++) {
                        double v = mean + l22 * z[j];
                        sk += w[j] * activation.apply(v);
                        skd += w[j] * activation.derivative(v);
                    }
                }
                k += w[i] * activation.apply(u) * sk;
                kd += w[i] * activation.derivative(u) * skd;
            }
            out[0] = k;
            out[1] = kd;
        }
    }

    /**
     * Graded composite Gauss–Legendre: u ~ N(0, q11) on a {@link GradedGaussianRule}, then v | u ~ N(q12/q11·u,
     * q22 − q12²/q11) on another, both graded around 0 where the activation bends.
     */
    static final class Graded extends DualActivation {
        private final Activation activation;
        private final ThreadLocal<GradedGaussianRule[]> rules;

        Graded(Activation activation, int pointsPerPanel) {
            if (activation == null) {
                throw new InvalidInputException("activation must be given");
            }
            this.activation = activation;
            GaussRules.legendre(pointsPerPanel);
            this.rules = ThreadLocal.withInitial(() -> new GradedGaussianRule[] {
                    new GradedGaussianRule(pointsPerPanel), new GradedGaussianRule(pointsPerPanel)});
        }

        @Override
        public boolean closedForm() {
            return false;
        }

        @Override
        public void evaluate(double q11, double q22, double q12, double[] out) {
            requireCovariance(q11, q22, q12);
            GradedGaussianRule[] r = rules.get();
            GradedGaussianRule outer = r[0];
            GradedGaussianRule inner = r[1];
            double beta = q11 > 0 ? q12 / q11 : 0.0;
            double cond = Math.sqrt(Math.max(0.0, q22 - beta * q12));
            int n = outer.build(0.0, Math.sqrt(q11));
            double k = 0;
            double kd = 0;
            for (int i = 0; i < n; i++) {
                double u = outer.nodes[i];
                int m = inner.build(beta * u, cond);
                double sk = 0;
                double skd = 0;
                for (int j = 0; j < m; j++) {
                    double v = inner.nodes[j];
                    double wj = inner.weights[j];
                    sk += wj * activation.apply(v);
                    skd += wj * activation.derivative(v);
                }
                double wi = outer.weights[i];
                k += wi * activation.apply(u) * sk;
                kd += wi * activation.derivative(u) * skd;
            }
            out[0] = k;
            out[1] = kd;
        }
    }
}

package org.ntk4j.analytic;

import java.util.function.DoubleUnaryOperator;
import org.ntk4j.InvalidInputException;
import org.ntk4j.model.Activation;

/**
 * The two Gaussian expectations an activation contributes to the infinite-width recursion: for a centred pair
 * (u, v) with covariance [[q11, q12], [q12, q22]],
 * {@code K = E[φ(u)φ(v)]} and {@code K̇ = E[φ'(u)φ'(v)]}.
 *
 * <p>The library's evaluators ({@link #of}):
 * <ul>
 *   <li>relu, erf, identity and gelu in closed form: relu by the arc-cosine kernel (Cho and Saul),
 *       {@code K = (√(q11·q22)·sin θ + (π − θ)·q12)/(2π)}, {@code K̇ = (π − θ)/(2π)} with {@code cos θ = q12/√(q11·q22)};
 *       erf by Williams' arcsine kernel, {@code K = (2/π)·asin(2·q12/√((1 + 2·q11)(1 + 2·q22)))},
 *       {@code K̇ = (4/π)/√((1 + 2·q11)(1 + 2·q22) − 4·q12²)}; identity {@code K = q12}, {@code K̇ = 1}; gelu derived
 *       in {@link Gelu};</li>
 *   <li>tanh, and any activation given as a pair of functions ({@link #numerical(DoubleUnaryOperator,
 *       DoubleUnaryOperator)}), by Mehler's series {@code K = Σ_n c_n(q11)·c_n(q22)·ρ^n} over the Hermite
 *       coefficients of each input's pre-activation, computed once per input and layer (see {@link HermiteSeries}
 *       and the package documentation for why this and not a 2-D rule). Pairs the series cannot reach within its
 *       accuracy (very large variance together with |ρ| close to 1) fall back to the graded quadrature.</li>
 * </ul>
 * Two accurate but slow quadratures stay available as references: {@link #graded} (composite Gauss–Legendre graded
 * around the activation's bend, about 1–1.5 ms per pair, accurate to 2e-13) and {@link #gaussHermite} (the product
 * rule of neural-tangents' {@code ElementwiseNumerical}, which loses accuracy once the variance exceeds about 1).
 *
 * <p>{@link #evaluate} evaluates a single pair (for the series it costs the coefficients of both inputs per call);
 * the analytic kernel evaluates many pairs through a block interface internal to this package, which computes what
 * the evaluator needs about each input's variance once per input and layer.
 */
public abstract sealed class DualActivation permits DualActivation.Relu, DualActivation.Erf, DualActivation.Identity,
        DualActivation.Gelu, DualActivation.GaussHermite, DualActivation.Graded, HermiteSeries {

    /** For the permitted subclasses only. */
    DualActivation() {
    }

    /** Gauss–Legendre points per panel of the graded reference rule. */
    public static final int DEFAULT_ORDER = 10;

    /**
     * The evaluator the library uses for this activation: the closed form where one exists, else the series.
     *
     * @param activation the activation
     * @return its evaluator
     */
    public static DualActivation of(Activation activation) {
        if (activation == null) {
            throw new InvalidInputException("activation must be given");
        }
        return switch (activation) {
            case RELU -> new Relu();
            case ERF -> new Erf();
            case IDENTITY -> new Identity();
            case GELU -> new Gelu();
            case TANH -> numerical(activation);
        };
    }

    /**
     * Mehler's Hermite series for a built-in activation (what {@link #of} uses for tanh).
     *
     * @param activation the activation
     * @return the evaluator
     */
    public static DualActivation numerical(Activation activation) {
        return new HermiteSeries(ActivationFunction.of(activation));
    }

    /**
     * Mehler's Hermite series for a caller's activation φ with its derivative φ'. Both must be defined (finite) on
     * the whole real line; φ should grow at most polynomially, so that E[φ(u)²] is finite. The series converges fast
     * for smooth φ (analytic near the real axis); for φ with kinks it converges slowly and most pairs with
     * |ρ| near 1 fall back to the graded quadrature, which is accurate but about 1 ms per pair.
     *
     * @param phi  φ
     * @param dphi φ'
     * @return the evaluator
     */
    public static DualActivation numerical(DoubleUnaryOperator phi, DoubleUnaryOperator dphi) {
        return numerical("custom", phi, dphi);
    }

    /**
     * As {@link #numerical(DoubleUnaryOperator, DoubleUnaryOperator)}, with a name for messages.
     *
     * @param name a name for messages
     * @param phi  φ
     * @param dphi φ'
     * @return the evaluator
     */
    public static DualActivation numerical(String name, DoubleUnaryOperator phi, DoubleUnaryOperator dphi) {
        return new HermiteSeries(new ActivationFunction(name, phi, dphi));
    }

    /**
     * Product Gauss–Hermite integration for any activation (order m per direction, 1 … 200).
     *
     * @param activation the activation
     * @param order      points per direction, 1 … 200
     * @return the evaluator
     */
    public static DualActivation gaussHermite(Activation activation, int order) {
        return new GaussHermite(ActivationFunction.of(activation), order);
    }

    /**
     * Graded composite Gauss–Legendre integration for any activation (points per panel, 1 … 64).
     *
     * @param activation     the activation
     * @param pointsPerPanel Gauss–Legendre points per panel, 1 … 64
     * @return the evaluator
     */
    public static DualActivation graded(Activation activation, int pointsPerPanel) {
        return new Graded(ActivationFunction.of(activation), pointsPerPanel);
    }

    /**
     * Graded composite Gauss–Legendre integration for a caller's φ and φ' (points per panel, 1 … 64).
     *
     * @param phi            φ
     * @param dphi           φ'
     * @param pointsPerPanel Gauss–Legendre points per panel, 1 … 64
     * @return the evaluator
     */
    public static DualActivation graded(DoubleUnaryOperator phi, DoubleUnaryOperator dphi, int pointsPerPanel) {
        return new Graded(new ActivationFunction("custom", phi, dphi), pointsPerPanel);
    }

    /**
     * Whether this evaluator is a closed form rather than a numerical method.
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

    /**
     * What this evaluator needs about each of a set of inputs, from their pre-activation variances q_i = Σ(x_i, x_i)
     * (≥ 0, finite): computed once per input and layer and shared by all the pairs the input takes part in.
     *
     * @param variances q_i of each input; copied
     * @return the side, for this evaluator's calls only
     */
    Side side(double[] variances) {
        return new Side(this, variances);
    }

    /**
     * The sides of a block's rows and columns, prepared together: for the series both get the same order, so that
     * every pair across them can use the whole series (two separate {@link #side} calls may stop at different
     * orders, and a pair then gets only the shorter one).
     *
     * @param rowVariances    q_i of the block's rows; copied
     * @param columnVariances q_j of the block's columns; copied
     * @return the rows' side, then the columns'
     */
    Side[] sides(double[] rowVariances, double[] columnVariances) {
        return new Side[] {side(rowVariances), side(columnVariances)};
    }

    /**
     * K and K̇ of the pairs (row i of {@code rows}, column j of {@code columns}) for j in [from, to): the covariance
     * of pair j is {@code q12[offset + j − from]}, the results go to {@code k[j − from]} and {@code kDot[j − from]}.
     * Both sides must come from this evaluator's {@link #side}.
     *
     * @param rows    the rows' side
     * @param i       the row
     * @param columns the columns' side
     * @param from    the first column, inclusive
     * @param to      the last column, exclusive
     * @param q12     the pairs' covariances, read from {@code offset}
     * @param offset  where pair {@code from}'s covariance is in {@code q12}
     * @param k       receives K, from index 0
     * @param kDot    receives K̇, from index 0
     */
    void evaluateRow(Side rows, int i, Side columns, int from, int to, double[] q12, int offset, double[] k,
            double[] kDot) {
        requireOwn(rows);
        requireOwn(columns);
        double qi = rows.variance(i);
        double[] out = new double[2];
        for (int j = from; j < to; j++) {
            evaluate(qi, columns.variance(j), q12[offset + j - from], out);
            k[j - from] = out[0];
            kDot[j - from] = out[1];
        }
    }

    /**
     * K(x, x) = E[φ(u)²] and K̇(x, x) = E[φ'(u)²] of input i of a side into {@code out[0], out[1]}.
     *
     * @param side a side from this evaluator
     * @param i    the input
     * @param out  receives K and K̇, length ≥ 2
     */
    void selfTerms(Side side, int i, double[] out) {
        requireOwn(side);
        double q = side.variance(i);
        evaluate(q, q, q, out);
    }

    final void requireOwn(Side side) {
        if (side == null || side.owner != this) {
            throw new InvalidInputException("a side must come from the same evaluator's side(…)");
        }
    }

    /**
     * √(q11·q22), also where the product under- or overflows (variances near 1e∓160, which the kernel itself, of
     * the order of q, represents): then √q11·√q22, which may differ in the last bit (and acos is steep at 1).
     */
    static double rootOfProduct(double q11, double q22) {
        double prod = q11 * q22;
        return prod >= Double.MIN_NORMAL && prod <= Double.MAX_VALUE ? Math.sqrt(prod) : Math.sqrt(q11) * Math.sqrt(q22);
    }

    static void requireCovariance(double q11, double q22, double q12) {
        if (!(q11 >= 0) || !(q22 >= 0) || !Double.isFinite(q11) || !Double.isFinite(q22) || !Double.isFinite(q12)) {
            throw new InvalidInputException("not a covariance: q11 = " + q11 + ", q22 = " + q22 + ", q12 = " + q12);
        }
    }

    /** One side of a block of pairs: the inputs' variances and whatever the evaluator derived from them. */
    static sealed class Side permits HermiteSeries.Coefficients {
        final DualActivation owner;
        final double[] q;

        Side(DualActivation owner, double[] variances) {
            this.owner = owner;
            this.q = requireVariances(variances).clone();
        }

        static double[] requireVariances(double[] variances) {
            if (variances == null) {
                throw new InvalidInputException("variances must be given");
            }
            for (int i = 0; i < variances.length; i++) {
                double v = variances[i];
                if (!(v >= 0) || !Double.isFinite(v)) {
                    throw new InvalidInputException("variance " + i + " is " + v + ", not a finite number ≥ 0");
                }
            }
            return variances;
        }

        /**
         * The number of inputs.
         *
         * @return how many variances the side holds
         */
        public int size() {
            return q.length;
        }

        /**
         * The pre-activation variance of input i.
         *
         * @param i the input
         * @return q_i
         */
        public double variance(int i) {
            return q[i];
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
            if (q11 == 0 || q22 == 0) {
                // One side is identically 0, where relu and (by convention) its derivative vanish.
                out[0] = 0;
                out[1] = 0;
                return;
            }
            double norm = rootOfProduct(q11, q22);
            double cos = Math.max(-1.0, Math.min(1.0, q12 / norm));
            double theta = Math.acos(cos);
            // √(q11 q22 − q12²) = norm·sin θ = norm·√((1 − cos)(1 + cos)): from the clamped cosine, so it is exactly
            // 0 at |ρ| = 1 (q11 q22 − q12² would cancel to √ulp there), and a square root is cheaper than sin.
            out[0] = (norm * Math.sqrt((1 - cos) * (1 + cos)) + (Math.PI - theta) * q12) / (2 * Math.PI);
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

    /**
     * Exact GELU, φ(x) = x·Φ(x), φ'(x) = Φ(x) + x·ϕ(x) (Φ, ϕ: the standard normal CDF and density), in closed form.
     *
     * <p>Derivation. Let Z1, Z2 ~ N(0, 1) be independent of (u, v). Then Φ(u)Φ(v) = P(Z1 ≤ u, Z2 ≤ v | u, v), so
     * K = E[u·v·g(A, B)] with A = u − Z1, B = v − Z2, g = 1{A ≥ 0}·1{B ≥ 0}, where (u, v, A, B) is jointly Gaussian:
     * Var A = a = 1 + q11, Var B = b = 1 + q22, Cov(A, B) = c = q12, Cov(u, A) = q11, Cov(u, B) = q12,
     * Cov(v, A) = q12, Cov(v, B) = q22. Gaussian integration by parts (Stein's lemma) twice gives
     * <pre>
     *   E[u v g] = Cov(u, v)·E[g] + Σ_{X, Y ∈ {A, B}} Cov(u, X)·Cov(v, Y)·E[∂_X ∂_Y g]
     * </pre>
     * with, for D = a·b − c² (D ≥ 1 + q11 + q22 ≥ 1 for any valid covariance, so nothing below degenerates):
     * E[g] = 1/4 + arcsin(c/√(ab))/(2π) (Sheppard's orthant probability), E[δ(A)δ(B)] = 1/(2π√D), and
     * E[δ'(A)·1{B ≥ 0}] = −c/(2π·a·√D), E[1{A ≥ 0}·δ'(B)] = −c/(2π·b·√D) (integrate ∂_A of the density over B ≥ 0).
     * Collecting terms with m = 1/a + 1/b − 1:
     * <pre>
     *   K  = c/4 + c·arcsin(c/√(ab))/(2π) + (q11·q22 + c²·m)/(2π·√D)
     * </pre>
     * By Price's theorem K̇ = E[φ'(u)φ'(v)] = ∂K/∂q12 (q11, q22 fixed), hence
     * <pre>
     *   K̇ = 1/4 + arcsin(c/√(ab))/(2π) + c/(2π·√D)·(1 + 2m + (q11·q22 + c²·m)/D)
     * </pre>
     * The same functions as neural-tangents' {@code stax.Gelu} (written there in other variables). Checked against
     * the graded quadrature to 1e-12 (tests), including |ρ| = 1.
     */
    static final class Gelu extends DualActivation {
        private static final double TWO_PI = 2 * Math.PI;

        @Override
        public boolean closedForm() {
            return true;
        }

        @Override
        public void evaluate(double q11, double q22, double q12, double[] out) {
            requireCovariance(q11, q22, q12);
            double bound = rootOfProduct(q11, q22);
            double c = Math.max(-bound, Math.min(bound, q12)); // rounding can push |q12| past √(q11 q22)
            double a = 1 + q11;
            double b = 1 + q22;
            double d = a * b - c * c;
            double rootD = Math.sqrt(d);
            double m = 1 / a + 1 / b - 1;
            double n = q11 * q22 + c * c * m;
            double angle = Math.asin(c / Math.sqrt(a * b)) / TWO_PI;
            out[0] = 0.25 * c + c * angle + n / (TWO_PI * rootD);
            out[1] = 0.25 + angle + c / (TWO_PI * rootD) * (1 + 2 * m + n / d);
        }
    }

    /** Product Gauss–Hermite on the Cholesky factor of the 2×2 covariance (z-space, order m per direction). */
    static final class GaussHermite extends DualActivation {
        private final ActivationFunction f;
        private final double[] z;
        private final double[] w;

        GaussHermite(ActivationFunction f, int order) {
            this.f = f;
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
                    sk = f.apply(mean);
                    skd = f.derivative(mean);
                } else {
                    for (int j = 0; j < m; j++) {
                        double v = mean + l22 * z[j];
                        sk += w[j] * f.apply(v);
                        skd += w[j] * f.derivative(v);
                    }
                }
                k += w[i] * f.apply(u) * sk;
                kd += w[i] * f.derivative(u) * skd;
            }
            out[0] = k;
            out[1] = kd;
        }
    }

    /**
     * Graded composite Gauss–Legendre: u ~ N(0, q11) on a {@link GradedGaussianRule}, then v | u ~ N(q12/q11·u,
     * q22 − q12²/q11) on another, both graded around 0 where the activation bends. The accurate reference (below
     * 2e-13 of the Cauchy–Schwarz scale for tanh, gelu and erf at every correlation with q11, q22 between 0.01 and
     * 64), at about 1–1.5 ms per pair.
     */
    static final class Graded extends DualActivation {
        private final ActivationFunction f;
        private final ThreadLocal<GradedGaussianRule[]> rules;

        Graded(ActivationFunction f, int pointsPerPanel) {
            this.f = f;
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
            if (q11 < q22) {
                // The outer variable is the wider one, so |β| ≤ 1 and the inner mean β·u bends where u is at least
                // as far out as φ(u) itself does, on panels graded for it (K and K̇ are symmetric in u, v).
                double t = q11;
                q11 = q22;
                q22 = t;
            }
            GradedGaussianRule[] r = rules.get();
            GradedGaussianRule outer = r[0];
            GradedGaussianRule inner = r[1];
            double beta = q11 > 0 ? q12 / q11 : 0.0;
            double cond = Math.sqrt(Math.max(0.0, q22 - beta * q12));
            // E[φ(v) | u] bends where β·u crosses φ's bend at 0, over a width cond/|β|: grade the outer rule down to
            // it (it matters for a nearly degenerate pair of a kinked φ, where the width is far below 1).
            int n = outer.build(0.0, Math.sqrt(q11), beta != 0 ? cond / Math.abs(beta) : Double.POSITIVE_INFINITY);
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
                    sk += wj * f.apply(v);
                    skd += wj * f.derivative(v);
                }
                double wi = outer.weights[i];
                k += wi * f.apply(u) * sk;
                kd += wi * f.derivative(u) * skd;
            }
            out[0] = k;
            out[1] = kd;
        }
    }
}

package org.ntk4j.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.ntk4j.InvalidInputException;
import org.ntk4j.model.Activation;
import org.ntk4j.testing.Tolerances;

/**
 * The 2-D Gaussian expectations against an independent composite Gauss–Legendre integration; errors are measured
 * relative to √(K(u,u)·K(v,v)), the largest |K| can be, because K itself may cancel to nearly 0.
 */
class DualActivationTest {
    private static final LegendreIntegrator REF = new LegendreIntegrator(48);
    private static final double[] CORRELATIONS = {-1.0, -0.97, -0.4, 0.3, 0.999, 1.0};

    private static void checkAgainstIntegration(Activation a, DualActivation dual, double[] variances, double tol) {
        double worst = 0;
        String where = "";
        for (double q : variances) {
            for (double rho : CORRELATIONS) {
                double q22 = 0.6 * q;
                double q12 = rho * Math.sqrt(q * q22);
                double[] both = REF.gaussian2dProducts(q, q22, q12, a::apply, a::derivative);
                double k = both[0];
                double kd = both[1];
                double[] out = new double[2];
                dual.evaluate(q, q22, q12, out);
                // Errors relative to the Cauchy–Schwarz scale √(K(u,u)·K(v,v)): K itself can cancel to ~0.
                double sk = Math.sqrt(REF.gaussian1d(z -> sq(a.apply(Math.sqrt(q) * z)))
                        * REF.gaussian1d(z -> sq(a.apply(Math.sqrt(q22) * z))));
                double skd = Math.sqrt(REF.gaussian1d(z -> sq(a.derivative(Math.sqrt(q) * z)))
                        * REF.gaussian1d(z -> sq(a.derivative(Math.sqrt(q22) * z))));
                double ek = Math.abs(out[0] - k) / sk;
                double ekd = Math.abs(out[1] - kd) / skd;
                if (Math.max(ek, ekd) > worst) {
                    worst = Math.max(ek, ekd);
                    where = String.format("q=%g ρ=%g: K %.15g vs %.15g, K̇ %.15g vs %.15g", q, rho, out[0], k, out[1], kd);
                }
            }
        }
        assertTrue(worst <= tol, a + ": worst relative error " + worst + " > " + tol + " at " + where);
    }

    private static double sq(double v) {
        return v * v;
    }

    @Test
    void reluIsHomogeneousDownToTinyAndUpToHugeVariances() {
        double[] unit = new double[2];
        DualActivation relu = DualActivation.of(org.ntk4j.model.Activation.RELU);
        relu.evaluate(1.0, 2.0, 0.7, unit);
        for (double s : new double[] {1e-300, 1e-200, 1e200, 1e300}) {
            double[] scaled = new double[2];
            relu.evaluate(s, 2.0 * s, 0.7 * s, scaled);
            assertEquals(unit[0], scaled[0] / s, 1e-14 * Math.abs(unit[0]), "K is homogeneous of degree 1, at " + s);
            assertEquals(unit[1], scaled[1], 1e-14, "K̇ is homogeneous of degree 0, at " + s);
        }
    }

    @Test
    void closedFormsMatchNumericalIntegration() {
        double[] q = {0.05, 0.7, 2.0, 9.0};
        checkAgainstIntegration(Activation.RELU, DualActivation.of(Activation.RELU), q, 1e-12);
        checkAgainstIntegration(Activation.ERF, DualActivation.of(Activation.ERF), q, 1e-12);
        checkAgainstIntegration(Activation.IDENTITY, DualActivation.of(Activation.IDENTITY), q, 1e-12);
    }

    @Test
    void geluClosedFormMatchesTheGradedQuadrature() {
        // Variances 0.01 … 100 on both sides (unequal too) and correlations up to ±1, including the degenerate limit.
        DualActivation closed = DualActivation.of(Activation.GELU);
        DualActivation graded = DualActivation.graded(Activation.GELU, DualActivation.DEFAULT_ORDER);
        double[] variances = {0.01, 0.3, 1.0, 4.0, 25.0, 100.0};
        double[] rhos = {-1.0, -(1 - 1e-12), -0.999999, -0.9, -0.3, 0.0, 0.5, 0.99, 0.999999, 1 - 1e-12, 1.0};
        double worst = 0;
        String where = "";
        double[] c = new double[2];
        double[] g = new double[2];
        double[] s1 = new double[2];
        double[] s2 = new double[2];
        for (double q11 : variances) {
            for (double q22 : variances) {
                closed.evaluate(q11, q11, q11, s1);
                closed.evaluate(q22, q22, q22, s2);
                for (double rho : rhos) {
                    double q12 = rho * Math.sqrt(q11 * q22);
                    closed.evaluate(q11, q22, q12, c);
                    graded.evaluate(q11, q22, q12, g);
                    double e = Math.max(Math.abs(c[0] - g[0]) / Math.sqrt(s1[0] * s2[0]),
                            Math.abs(c[1] - g[1]) / Math.sqrt(s1[1] * s2[1]));
                    if (e > worst) {
                        worst = e;
                        where = String.format("q11=%g q22=%g ρ=%.15g: K %.17g vs %.17g, K̇ %.17g vs %.17g", q11, q22, rho,
                                c[0], g[0], c[1], g[1]);
                    }
                }
            }
        }
        assertTrue(worst <= Tolerances.DUAL_CLOSED_FORM, "gelu: worst relative error " + worst + " at " + where);
        // Known values: q12 = 0 factorises, K = E[uΦ(u)]·E[vΦ(v)] with E[uΦ(u)] = q/√(2π(1+q)); K̇ = 1/4 there.
        assertEquals(2.0 / Math.sqrt(2 * Math.PI * 3) * (5.0 / Math.sqrt(2 * Math.PI * 6)), closed.k(2, 5, 0), 1e-15);
        assertEquals(0.25, closed.kDot(2, 5, 0), 1e-15);
    }

    @Test
    void gradedQuadratureIsAccurateForSmoothActivations() {
        double[] q = {0.01, 0.5, 3.0, 16.0, 64.0};
        checkAgainstIntegration(Activation.TANH, DualActivation.of(Activation.TANH), q, 1e-11);
        checkAgainstIntegration(Activation.GELU, DualActivation.of(Activation.GELU), q, 1e-11);
        // The graded rule also reproduces the closed forms it does not use.
        checkAgainstIntegration(Activation.ERF, DualActivation.graded(Activation.ERF, DualActivation.DEFAULT_ORDER), q, 1e-11);
    }

    @Test
    void gaussHermiteIsExactForPolynomialsAndGoodAtSmallVariance() {
        DualActivation gh = DualActivation.gaussHermite(Activation.IDENTITY, 3);
        double[] out = new double[2];
        gh.evaluate(2.0, 3.0, -1.1, out);
        assertEquals(-1.1, out[0], 1e-14);
        assertEquals(1.0, out[1], 1e-14);
        checkAgainstIntegration(Activation.TANH, DualActivation.gaussHermite(Activation.TANH, 96), new double[] {0.05, 0.5}, 1e-11);
    }

    @Test
    void reluKnownValuesAtAnglesZeroHalfPiAndPi() {
        DualActivation relu = DualActivation.of(Activation.RELU);
        // Unit variances: K = (sin θ + (π − θ) cos θ)/(2π), K̇ = (π − θ)/(2π).
        assertEquals(0.5, relu.k(1, 1, 1), 1e-15);
        assertEquals(0.5, relu.kDot(1, 1, 1), 1e-15);
        assertEquals(1 / (2 * Math.PI), relu.k(1, 1, 0), 1e-15);
        assertEquals(0.25, relu.kDot(1, 1, 0), 1e-15);
        assertEquals(0.0, relu.k(1, 1, -1), 1e-15);
        assertEquals(0.0, relu.kDot(1, 1, -1), 1e-15);
        // Homogeneity: K scales with √(q11 q22), K̇ is scale-free.
        assertEquals(3 * 5 / (2 * Math.PI), relu.k(9, 25, 0), 1e-13);
        assertEquals(0.25, relu.kDot(9, 25, 0), 1e-15);
    }

    @Test
    void rejectsImpossibleCovariances() {
        DualActivation relu = DualActivation.of(Activation.RELU);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> relu.k(-1, 1, 0));
        assertTrue(e.getMessage().contains("not a covariance"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> relu.k(1, Double.NaN, 0));
        assertThrows(InvalidInputException.class, () -> DualActivation.gaussHermite(Activation.TANH, 0));
    }
}

package org.ntk4j.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;
import org.ntk4j.InvalidInputException;
import org.ntk4j.model.Activation;
import org.ntk4j.testing.Tolerances;

/**
 * The Hermite-series evaluator against the graded quadrature and against exact formulas, over variances from 0.01 to
 * 100 and correlations up to ±1 (including the degenerate limit and the pairs the series hands to the quadrature),
 * with errors relative to the Cauchy–Schwarz scale √(K(u,u)·K(v,v)).
 */
class HermiteSeriesTest {
    private static final double[] VARIANCES = {0.01, 0.5, 2.0, 9.0, 36.0, 100.0};
    private static final double[] CORRELATIONS = {-1.0, -(1 - 1e-14), -(1 - 1e-9), -0.9999, -0.99, -0.6, -0.1, 0.0, 0.3,
            0.9, 0.999, 1 - 1e-9, 1 - 1e-14, 1.0};

    /** The worst relative error of K and K̇ of {@code dual} against {@code reference} over the grid, by block API. */
    private static double worstError(DualActivation dual, Reference reference, double[] variances, double[] rhos,
            StringBuilder where) {
        DualActivation.Side side = dual.side(variances);
        double[] k = new double[rhos.length];
        double[] kd = new double[rhos.length];
        double[] self1 = new double[2];
        double[] self2 = new double[2];
        double[] expected = new double[2];
        double worst = 0;
        for (int i = 0; i < variances.length; i++) {
            for (int j = 0; j < variances.length; j++) {
                double qi = variances[i];
                double qj = variances[j];
                double[] q12 = new double[rhos.length];
                for (int r = 0; r < rhos.length; r++) {
                    q12[r] = rhos[r] * Math.sqrt(qi * qj);
                }
                dual.selfTerms(side, i, self1);
                dual.selfTerms(side, j, self2);
                for (int r = 0; r < rhos.length; r++) {
                    // Row i against the single column j, with covariance q12[r].
                    double[] one = new double[1];
                    double[] oneD = new double[1];
                    dual.evaluateRow(side, i, side, j, j + 1, q12, r, one, oneD);
                    k[r] = one[0];
                    kd[r] = oneD[0];
                    reference.evaluate(qi, qj, q12[r], expected);
                    double ek = Math.abs(k[r] - expected[0]) / Math.sqrt(self1[0] * self2[0]);
                    double ekd = Math.abs(kd[r] - expected[1]) / Math.sqrt(self1[1] * self2[1]);
                    double e = Math.max(ek, ekd);
                    if (e > worst) {
                        worst = e;
                        where.setLength(0);
                        where.append(String.format("q11=%g q22=%g ρ=%.17g: K %.17g vs %.17g, K̇ %.17g vs %.17g", qi, qj,
                                rhos[r], k[r], expected[0], kd[r], expected[1]));
                    }
                }
            }
        }
        return worst;
    }

    @FunctionalInterface
    private interface Reference {
        void evaluate(double q11, double q22, double q12, double[] out);
    }

    private static void assertAccurate(String what, DualActivation dual, Reference reference, double[] variances) {
        StringBuilder where = new StringBuilder();
        double worst = worstError(dual, reference, variances, CORRELATIONS, where);
        assertTrue(worst <= Tolerances.DUAL_SERIES, what + ": worst relative error " + worst + " at " + where);
    }

    @Test
    void tanhMatchesTheGradedQuadratureUpToVariance100AndAllCorrelations() {
        HermiteSeries series = (HermiteSeries) DualActivation.numerical(Activation.TANH);
        DualActivation graded = DualActivation.graded(Activation.TANH, DualActivation.DEFAULT_ORDER);
        assertAccurate("tanh", series, graded::evaluate, VARIANCES);
        long[] paths = series.pathCounts();
        // All three paths were exercised: the series, perfectly correlated pairs, and the graded fallback (large
        // variance with |ρ| near 1), so this test cannot pass on one of them alone.
        assertTrue(paths[0] > 0 && paths[1] > 0 && paths[2] > 0, "paths " + Arrays.toString(paths));
    }

    @Test
    void atTheVariancesOfHiddenLayersEveryPairUsesTheSeries() {
        HermiteSeries series = (HermiteSeries) DualActivation.numerical(Activation.TANH);
        DualActivation graded = DualActivation.graded(Activation.TANH, DualActivation.DEFAULT_ORDER);
        double[] typical = {0.05, 0.7, 1.3, 2.6, 4.0};
        double[] rhos = {-0.999999, -0.95, -0.3, 0.0, 0.2, 0.8, 0.99, 0.99999, 1 - 1e-11};
        StringBuilder where = new StringBuilder();
        double worst = worstError(series, graded::evaluate, typical, rhos, where);
        assertTrue(worst <= Tolerances.DUAL_SERIES, "worst " + worst + " at " + where);
        long[] paths = series.pathCounts();
        assertEquals(0, paths[1] + paths[2], "pairs off the series: " + Arrays.toString(paths));
    }

    @Test
    void aBlocksRowsAndColumnsShareOneOrder() {
        // Rows of small variance converge by order 127, columns of variance 3–4 need ~500 terms; a pair with
        // |ρ| near 1 across them needs the columns' length on both sides.
        HermiteSeries tanh = (HermiteSeries) DualActivation.numerical(Activation.TANH);
        DualActivation graded = DualActivation.graded(Activation.TANH, DualActivation.DEFAULT_ORDER);
        double[] rows = {0.3, 0.5};
        double[] cols = {3.0, 4.0};
        DualActivation.Side[] together = tanh.sides(rows, cols);
        DualActivation.Side apartRows = tanh.side(rows);
        DualActivation.Side apartCols = tanh.side(cols);
        double[] k = new double[1];
        double[] kd = new double[1];
        double[] expected = new double[2];
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < cols.length; j++) {
                double[] q12 = {0.995 * Math.sqrt(rows[i] * cols[j])};
                tanh.evaluateRow(together[0], i, together[1], j, j + 1, q12, 0, k, kd);
                graded.evaluate(rows[i], cols[j], q12[0], expected);
                assertEquals(expected[0], k[0], Tolerances.DUAL_SERIES);
                assertEquals(expected[1], kd[0], Tolerances.DUAL_SERIES);
            }
        }
        assertEquals(0, tanh.pathCounts()[2], "pairs sent to the quadrature: " + Arrays.toString(tanh.pathCounts()));
        // Prepared apart, the rows stop at the shorter order and the same pairs cannot meet the bound.
        tanh.evaluateRow(apartRows, 0, apartCols, 0, 1, new double[] {0.995 * Math.sqrt(0.3 * 3.0)}, 0, k, kd);
        assertEquals(1, tanh.pathCounts()[2]);
    }

    @Test
    void tanhGivenAsLambdasMatchesTheBuiltIn() {
        DualActivation custom = DualActivation.numerical(Math::tanh, x -> 1 - Math.tanh(x) * Math.tanh(x));
        DualActivation builtIn = DualActivation.numerical(Activation.TANH);
        DualActivation.Side side = builtIn.side(VARIANCES);
        assertAccurate("tanh as lambdas vs built-in", custom, (q11, q22, q12, out) -> {
            int i = Arrays.binarySearch(VARIANCES, q11);
            int j = Arrays.binarySearch(VARIANCES, q22);
            double[] k = new double[1];
            double[] kd = new double[1];
            builtIn.evaluateRow(side, i, side, j, j + 1, new double[] {q12}, 0, k, kd);
            out[0] = k[0];
            out[1] = kd[0];
        }, VARIANCES);
    }

    @Test
    void polynomialActivationIsExact() {
        // φ(x) = x² + x: K = E[u²v²] + E[uv] = q11·q22 + 2·q12² + q12 (odd moments vanish); φ' = 2x + 1:
        // K̇ = 4·q12 + 1. Both parities, so the full (stride-1) series runs; three coefficients are nonzero.
        DualActivation poly = DualActivation.numerical("x²+x", x -> x * x + x, x -> 2 * x + 1);
        assertAccurate("x² + x", poly, (q11, q22, q12, out) -> {
            out[0] = q11 * q22 + 2 * q12 * q12 + q12;
            out[1] = 4 * q12 + 1;
        }, VARIANCES);
        // A zero variance: u ≡ 0, φ(0) = 0, so K = 0 and K̇ = φ'(0)·E[φ'(v)] = 1.
        double[] out = new double[2];
        poly.evaluate(0.0, 3.0, 0.0, out);
        assertEquals(0.0, out[0], 1e-15);
        assertEquals(1.0, out[1], 1e-14);
    }

    @Test
    void erfAndGeluByTheSeriesMatchTheirClosedForms() {
        DoubleUnaryOperator erf = org.apache.commons.numbers.gamma.Erf::value;
        DualActivation erfSeries = DualActivation.numerical("erf", erf, x -> 2 / Math.sqrt(Math.PI) * Math.exp(-x * x));
        assertAccurate("erf", erfSeries, DualActivation.of(Activation.ERF)::evaluate, VARIANCES);
        // gelu is neither odd nor even and grows linearly: a different shape of coefficients from tanh's.
        assertAccurate("gelu", DualActivation.numerical(Activation.GELU), DualActivation.of(Activation.GELU)::evaluate,
                VARIANCES);
    }

    @Test
    void identityByTheSeriesIsExact() {
        assertAccurate("identity", DualActivation.numerical("identity", x -> x, x -> 1), (q11, q22, q12, out) -> {
            out[0] = q12;
            out[1] = 1;
        }, VARIANCES);
    }

    @Test
    void activationWithAKinkFallsBackAndStaysAccurate() {
        // relu's coefficients decay only algebraically: at |ρ| near 1 the bound is not met by order 2047 and the
        // graded rule takes over; at small |ρ| the series still serves.
        HermiteSeries relu = (HermiteSeries) DualActivation.numerical("relu", x -> x > 0 ? x : 0, x -> x > 0 ? 1 : 0);
        double[] variances = {0.3, 2.0};
        double[] rhos = {-0.97, -0.2, 0.4, 0.999};
        StringBuilder where = new StringBuilder();
        double worst = worstError(relu, DualActivation.of(Activation.RELU)::evaluate, variances, rhos, where);
        assertTrue(worst <= Tolerances.DUAL_SERIES, "worst " + worst + " at " + where);
        long[] paths = relu.pathCounts();
        assertTrue(paths[0] > 0 && paths[2] > 0, "paths " + Arrays.toString(paths));
    }

    @Test
    void singlePairEvaluationAgreesWithTheBlockInterface() {
        DualActivation tanh = DualActivation.numerical(Activation.TANH);
        double[] out = new double[2];
        tanh.evaluate(1.7, 0.4, -0.5, out);
        DualActivation.Side side = tanh.side(new double[] {1.7, 0.4});
        double[] k = new double[1];
        double[] kd = new double[1];
        tanh.evaluateRow(side, 0, side, 1, 2, new double[] {-0.5}, 0, k, kd);
        assertEquals(k[0], out[0], 1e-15);
        assertEquals(kd[0], out[1], 1e-15);
        double[] expected = new double[2];
        DualActivation.graded(Activation.TANH, DualActivation.DEFAULT_ORDER).evaluate(1.7, 0.4, -0.5, expected);
        assertEquals(expected[0], out[0], 1e-12);
        assertEquals(expected[1], out[1], 1e-12);
    }

    @Test
    void projectionRuleAgreesWithAFinerOne() {
        // Coefficients of tanh and its derivative at the highest order, on the rule and on one with 3× the panels.
        for (double q : new double[] {0.2, 4.0, 100.0}) {
            int order = 2047;
            double worst = 0;
            double[] coarse = coefficients(HermiteProjection.of(order, q), q, order);
            double[] fine = coefficients(HermiteProjection.of(order, q, 3), q, order);
            for (int n = 0; n < coarse.length; n++) {
                worst = Math.max(worst, Math.abs(coarse[n] - fine[n]));
            }
            // Scale: √E[φ'²] ≤ 1 and √E[φ²] ≤ 1 for tanh.
            assertTrue(worst < 1e-14, "q = " + q + ": coefficients differ by " + worst);
        }
    }

    /** c_n of tanh(√q·z), then d_n of its derivative, n ≤ order, by direct summation on a rule. */
    private static double[] coefficients(HermiteProjection rule, double q, int order) {
        double[] out = new double[2 * (order + 1)];
        for (int k = 0; k < rule.size(); k++) {
            double z = rule.nodes[k];
            double f = Math.tanh(Math.sqrt(q) * z) * rule.weights[k];
            double g = (1 - Math.tanh(Math.sqrt(q) * z) * Math.tanh(Math.sqrt(q) * z)) * rule.weights[k];
            double prev = 0;
            double cur = 1;
            for (int n = 0; n <= order; n++) {
                out[n] += f * cur;
                out[order + 1 + n] += g * cur;
                double next = (z * cur - Math.sqrt(n) * prev) / Math.sqrt(n + 1);
                prev = cur;
                cur = next;
            }
        }
        return out;
    }

    @Test
    void rejectsBadInput() {
        DualActivation nan = DualActivation.numerical("log", Math::log, x -> 1 / x);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> nan.side(new double[] {1.0}));
        assertTrue(e.getMessage().contains("log") && e.getMessage().contains("not finite"), e.getMessage());
        DualActivation tanh = DualActivation.numerical(Activation.TANH);
        assertThrows(InvalidInputException.class, () -> tanh.side(new double[] {1.0, -0.5}));
        assertThrows(InvalidInputException.class, () -> tanh.side(new double[] {Double.NaN}));
        DualActivation.Side foreign = DualActivation.numerical(Activation.TANH).side(new double[] {1.0});
        DualActivation.Side own = tanh.side(new double[] {1.0});
        assertThrows(InvalidInputException.class,
                () -> tanh.evaluateRow(foreign, 0, own, 0, 1, new double[] {0.5}, 0, new double[1], new double[1]));
        assertThrows(InvalidInputException.class,
                () -> tanh.evaluateRow(own, 0, own, 0, 1, new double[] {Double.NaN}, 0, new double[1], new double[1]));
        assertThrows(InvalidInputException.class, () -> DualActivation.numerical(null, x -> 1));
    }
}

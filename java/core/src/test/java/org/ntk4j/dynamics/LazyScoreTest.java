package org.ntk4j.dynamics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.linalg.LinearAlgebra;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.LogLogSlope;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.Reference;

class LazyScoreTest {
    private static final Ntk REF = Reference.ntk();

    /** The explicit Hessian of ⟨w, f⟩ by central differences of the reference Jacobian, symmetrised. */
    private static Matrix explicitHessian(Parameters p, Matrix x, Matrix w) {
        int n = (int) p.size();
        Matrix h = Matrix.zeros(n, n);
        double e = 1e-5;
        for (int j = 0; j < n; j++) {
            double[] ej = new double[n];
            ej[j] = 1;
            double[] gp = NetworkCurvatureTest.jacobianTransposeTimes(NetworkCurvatureTest.shifted(p, ej, e), x, w);
            double[] gm = NetworkCurvatureTest.jacobianTransposeTimes(NetworkCurvatureTest.shifted(p, ej, -e), x, w);
            for (int i = 0; i < n; i++) {
                h.set(i, j, h.get(i, j) + 0.5 * (gp[i] - gm[i]) / (2 * e));
                h.set(j, i, h.get(j, i) + 0.5 * (gp[i] - gm[i]) / (2 * e));
            }
        }
        return h;
    }

    private static double spectralNorm(Matrix symmetric) {
        double[] ev = LinearAlgebra.symmetricEigenvalues(symmetric);
        return Math.max(Math.abs(ev[0]), Math.abs(ev[ev.length - 1]));
    }

    @Test
    void singleOutputEstimateIsTheHessiansSpectralNorm() {
        Architecture arch = Architecture.builder(3).hidden(6, 5).activation(Activation.TANH).output(1).sigmaW(1.5)
                .sigmaB(0.2).build();
        Parameters p = Parameters.init(arch, 4);
        Matrix x = NtkCase.gaussianInputs(1, 3, 5);
        double exact = spectralNorm(explicitHessian(p, x, Matrix.of(new double[][] {{1}})));
        LazyScore.HessianNorm est = LazyScore.hessianNorm(new NetworkCurvature(p, x), new double[] {1}, 1, 1,
                (int) p.size(), LazyScore.Options.defaults().withRounds(2).withMaxIterations(200).withTolerance(1e-9)
                        .withSeed(3).withRestarts(0), 3);
        assertEquals(exact, est.norm(), 1e-6 * exact, "power iteration vs explicit eigenvalues");
    }

    @Test
    void manyOutputEstimateLiesBetweenTheComponentBounds() {
        Architecture arch = Architecture.builder(3).hidden(5).activation(Activation.GELU).output(2).sigmaW(1.4)
                .sigmaB(0.3).build();
        Parameters p = Parameters.init(arch, 8);
        Matrix x = NtkCase.gaussianInputs(3, 3, 9);
        double maxComponent = 0;
        int argmax = 0;
        double sumSq = 0;
        for (int i = 0; i < 6; i++) {
            double[] wi = new double[6];
            wi[i] = 1;
            double ni = spectralNorm(explicitHessian(p, x, new Matrix(3, 2, wi)));
            if (ni > maxComponent) {
                maxComponent = ni;
                argmax = i;
            }
            sumSq += ni * ni;
        }
        // Started at the largest component, the alternation can only climb from there.
        double[] e = new double[6];
        e[argmax] = 1;
        LazyScore.HessianNorm fromBest = LazyScore.hessianNorm(new NetworkCurvature(p, x), e, 3, 2, (int) p.size(),
                LazyScore.Options.defaults().withMaxIterations(60).withTolerance(1e-9).withSeed(1).withRestarts(0), 1);
        assertTrue(fromBest.norm() >= maxComponent * (1 - 1e-6), fromBest.norm() + " < " + maxComponent);
        Matrix y = NtkCase.gaussianInputs(3, 2, 10);
        LazyScore.Result r = LazyScore.estimate(REF, p, x, y, LazyScore.Options.defaults().withRounds(4)
                .withMaxIterations(100).withTolerance(1e-8).withSeed(1).withRestarts(2));
        // From the residual and random starts it finds a local maximum: here 98.8% of the largest component.
        assertTrue(r.hessianNorm() >= 0.97 * maxComponent, r.hessianNorm() + " < 0.97 × max component " + maxComponent);
        assertTrue(r.hessianNorm() <= 1.001 * Math.sqrt(sumSq), r.hessianNorm() + " > bound " + Math.sqrt(sumSq));
        for (int i = 1; i < r.roundEstimates().length; i++) {
            assertTrue(r.roundEstimates()[i] >= r.roundEstimates()[i - 1]);
        }
        // ‖∇f‖² independently: λ_max(J·Jᵀ) from the reference Jacobian.
        Matrix j = REF.jacobian(p, x);
        double[] ev = LinearAlgebra.symmetricEigenvalues(LinearAlgebra.multiply(j, false, j, true));
        assertEquals(ev[ev.length - 1], r.gradientNormSq(), 1e-12 * r.gradientNormSq());
        double res = 0;
        Matrix f = REF.forward(p, x);
        for (int i = 0; i < 6; i++) {
            res += Math.pow(f.data()[i] - y.data()[i], 2);
        }
        assertEquals(Math.sqrt(res), r.residualNorm(), 1e-14);
        assertEquals(r.residualNorm() * r.hessianNorm() / r.gradientNormSq(), r.score(), 1e-15 * r.score());
    }

    @Test
    void scoreFallsWithWidthInTheNtkParameterization() {
        Matrix x = NtkCase.gaussianInputs(6, 5, 21);
        Matrix y = NtkCase.gaussianInputs(6, 1, 22);
        int[] widths = {16, 64, 256};
        double[] w = new double[widths.length];
        double[] k = new double[widths.length];
        for (int i = 0; i < widths.length; i++) {
            Architecture arch = Architecture.builder(5).hidden(widths[i], widths[i]).output(1).sigmaW(1.4).sigmaB(0.1).build();
            double sum = 0;
            for (int s = 0; s < 3; s++) {
                sum += LazyScore.estimate(REF, Parameters.init(arch, 30 + s), x, y, LazyScore.Options.defaults()).score();
            }
            w[i] = widths[i];
            k[i] = sum / 3;
        }
        double slope = LogLogSlope.of(w, k);
        // ‖∇²f‖ ~ width^−½ while ‖∇f‖ and the residual stay O(1): slope −½.
        assertTrue(slope < -0.3 && slope > -0.8, "lazy score slope " + slope + " values " + java.util.Arrays.toString(k));
    }

    @Test
    void optionsAreNamedOneByOneAndCheckedWhereTheyAreGiven() {
        LazyScore.Options d = LazyScore.Options.defaults();
        assertEquals("LazyScore.Options[rounds=3, maxIterations=30, tolerance=0.001, seed=7, restarts=1]", d.toString());
        LazyScore.Options o = d.withRounds(2).withMaxIterations(9).withTolerance(1e-6).withSeed(-4).withRestarts(0);
        assertEquals("LazyScore.Options[rounds=2, maxIterations=9, tolerance=1.0E-6, seed=-4, restarts=0]", o.toString());
        assertEquals(3, d.rounds(), "with… returns new options");
        assertEquals("the lazy score needs at least one round, got 0",
                assertThrows(InvalidInputException.class, () -> d.withRounds(0)).getMessage());
        assertEquals("the lazy score needs at least one Lanczos step, got 0",
                assertThrows(InvalidInputException.class, () -> d.withMaxIterations(0)).getMessage());
        assertEquals("the lazy score's tolerance must be positive, got NaN",
                assertThrows(InvalidInputException.class, () -> d.withTolerance(Double.NaN)).getMessage());
        assertEquals("the lazy score's restarts must be non-negative, got -1",
                assertThrows(InvalidInputException.class, () -> d.withRestarts(-1)).getMessage());
    }
}

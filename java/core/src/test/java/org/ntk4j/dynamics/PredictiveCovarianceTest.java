package org.ntk4j.dynamics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.KernelLayout;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.analytic.AnalyticKernel;
import org.ntk4j.linalg.LinearAlgebra;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.DenseSolve;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.Reference;
import org.ntk4j.testing.Tolerances;

/**
 * The predictive covariance of the linearised ensemble against independent computations: the GP posterior by
 * Gauss–Jordan elimination (no LAPACK), and at finite t the covariance of the explicit linear map that discrete
 * gradient-descent steps apply to the initial outputs (no eigendecomposition, no inverse).
 */
class PredictiveCovarianceTest {
    private static final Ntk REF = Reference.ntk();
    private static final Architecture ARCH = Architecture.builder(5).hidden(13, 11).activation(Activation.RELU)
            .output(3).sigmaW(1.4).sigmaB(0.3).build();
    private static final AnalyticKernel INF = AnalyticKernel.of(ARCH);
    private static final Matrix X = NtkCase.gaussianInputs(9, 5, 1);
    private static final Matrix XT = NtkCase.gaussianInputs(4, 5, 2);
    private static final Matrix Y = NtkCase.gaussianInputs(9, 3, 3);

    private static Matrix m(Tensor k) {
        return k.rank() == 2 ? k.asMatrix() : KernelLayout.fullToMatrix(k);
    }

    private static PriorCovariance nngp(NtkMode mode) {
        return new PriorCovariance(m(INF.nngp(X, mode)), m(INF.nngp(XT, X, mode)), m(INF.nngp(XT, mode)));
    }

    @Test
    void thePriorFromAnNngpKernelFunctionHasTheBlocksInTheKernelsLayout() {
        for (NtkMode mode : new NtkMode[] {NtkMode.TRACE, NtkMode.FULL}) {
            PriorCovariance p = PriorCovariance.of(INF.kernelFunction(org.ntk4j.KernelKind.NNGP), X, XT, mode);
            PriorCovariance q = nngp(mode);
            assertEquals(q.train(), p.train());
            assertEquals(q.testTrain(), p.testTrain());
            assertEquals(q.test(), p.test());
        }
        assertThrows(InvalidInputException.class,
                () -> PriorCovariance.of(INF.kernelFunction(org.ntk4j.KernelKind.NTK), X, XT, NtkMode.TRACE));
        assertThrows(InvalidInputException.class,
                () -> PriorCovariance.of(INF.kernelFunction(org.ntk4j.KernelKind.NNGP), X, XT, NtkMode.DIAGONAL));
    }

    @Test
    void nngpCovarianceIsTheGaussianProcessPosterior() {
        PriorCovariance k = nngp(NtkMode.TRACE);
        Matrix expected = minus(k.test(), times(k.testTrain(), times(DenseSolve.inverse(k.train()),
                transpose(k.testTrain()))));
        Matrix regression = LinearizedDynamics.kernelRegressionCovariance(k.train(), k.testTrain(), k, 0);
        Compare.assertClose("kernel regression's NNGP covariance vs GP posterior", regression, expected,
                Tolerances.DENSE_SOLVE);
        LinearizedDynamics ld = LinearizedDynamics.builder(k.train(), Matrix.zeros(9, 3), Y)
                .test(k.testTrain(), Matrix.zeros(4, 3))
                .learningRate(LearningRate.fixed(1.0))
                .build();
        Compare.assertClose("linearised NNGP at t = ∞ vs GP posterior", ld.predictTestCovariance(
                Double.POSITIVE_INFINITY, k), expected, Tolerances.DENSE_SOLVE);
        assertSymmetricPsd(regression);
    }

    @Test
    void ntkCovarianceAtInfinityMatchesTheDenseFormula() {
        for (NtkMode mode : new NtkMode[] {NtkMode.TRACE, NtkMode.FULL}) {
            PriorCovariance k = nngp(mode);
            Matrix theta = m(INF.ntk(X, mode));
            Matrix thetaTx = m(INF.ntk(XT, X, mode));
            Matrix a = times(thetaTx, DenseSolve.inverse(theta));         // Θ_tx Θ⁻¹
            Matrix cross = times(a, transpose(k.testTrain()));              // Θ_tx Θ⁻¹ K_xt
            Matrix expected = minus(plus(k.test(), times(a, times(k.train(), transpose(a)))),
                    plus(cross, transpose(cross)));
            Matrix cov = LinearizedDynamics.kernelRegressionCovariance(theta, thetaTx, k, 0);
            Compare.assertClose(mode + " NTK covariance at ∞", cov, expected, Tolerances.DENSE_SOLVE);
            assertSymmetricPsd(cov);
            // A ridge is Θ + ridge·I in both inverses.
            Matrix reg = plus(theta, scaledIdentity(theta.rows(), 0.3));
            Matrix ar = times(thetaTx, DenseSolve.inverse(reg));
            Matrix crossR = times(ar, transpose(k.testTrain()));
            Compare.assertClose(mode + " NTK covariance with ridge", LinearizedDynamics.kernelRegressionCovariance(
                    theta, thetaTx, k, 0.3), minus(plus(k.test(), times(ar, times(k.train(), transpose(ar)))),
                    plus(crossR, transpose(crossR))), Tolerances.DENSE_SOLVE);
        }
    }

    @Test
    void finiteTimeCovarianceIsThatOfTheGradientDescentMap() {
        // The empirical NTK of one network in full mode beside the infinite-width NNGP (⊗ I_O in full layout), and
        // the trace-mode analytic pair: after s steps f_test = f_test,0 + B·f_0 + const, with B from the steps
        // themselves, so Σ = K_tt + B K_xt + K_tx Bᵀ + B K Bᵀ.
        Parameters p = Parameters.init(ARCH, 5);
        for (NtkMode mode : new NtkMode[] {NtkMode.TRACE, NtkMode.FULL}) {
            Matrix theta = mode == NtkMode.FULL ? m(REF.kernel(p, X, mode, Implementation.AUTO)) : m(INF.ntk(X, mode));
            Matrix thetaTx = mode == NtkMode.FULL ? m(REF.kernel(p, XT, X, mode, Implementation.AUTO))
                    : m(INF.ntk(XT, X, mode));
            PriorCovariance k = nngp(mode);
            double lr = LearningRates.fromEigenvalue(LinearAlgebra.symmetricEigenvalues(theta)[theta.rows() - 1],
                    27, 0.5);
            LinearizedDynamics ld = LinearizedDynamics.builder(theta, Matrix.zeros(9, 3), Y)
                    .test(thetaTx, Matrix.zeros(4, 3))
                    .learningRate(LearningRate.fixed(lr))
                    .flow(LinearizedDynamics.Flow.GRADIENT_DESCENT)
                    .build();
            for (int steps : new int[] {0, 1, 7, 60}) {
                Matrix b = stepMap(theta, thetaTx, lr / 27, steps);
                Matrix bk = times(b, transpose(k.testTrain()));
                Matrix expected = plus(plus(k.test(), times(b, times(k.train(), transpose(b)))),
                        plus(bk, transpose(bk)));
                Matrix cov = ld.predictTestCovariance(steps, k);
                Compare.assertClose(mode + " covariance after " + steps + " steps", cov, expected,
                        Tolerances.DENSE_SOLVE);
                assertSymmetricPsd(cov);
            }
            assertEquals(0, Compare.relativeError(ld.predictTestCovariance(0, k).data(), k.test().data()), 1e-15,
                    "at t = 0 the covariance is the prior's");
        }
    }

    @Test
    void longTimeConvergesToTheInfiniteTimeCovariance() {
        PriorCovariance k = nngp(NtkMode.TRACE);
        Matrix theta = m(INF.ntk(X, NtkMode.TRACE));
        Matrix thetaTx = m(INF.ntk(XT, X, NtkMode.TRACE));
        for (boolean nngpRegime : new boolean[] {false, true}) {
            Matrix kernel = nngpRegime ? k.train() : theta;
            Matrix kernelTx = nngpRegime ? k.testTrain() : thetaTx;
            LinearizedDynamics ld = LinearizedDynamics.builder(kernel, Matrix.zeros(9, 3), Y)
                    .test(kernelTx, Matrix.zeros(4, 3))
                    .learningRate(LearningRate.fixed(1.0))
                    .build();
            double tLong = 60 * 27 / ld.eigenvalues()[0];
            Matrix atInf = ld.predictTestCovariance(Double.POSITIVE_INFINITY, k);
            Compare.assertClose("t → ∞ (nngp " + nngpRegime + ")", ld.predictTestCovariance(tLong, k), atInf,
                    Tolerances.DENSE_SOLVE);
            Compare.assertClose("Cholesky vs regression (nngp " + nngpRegime + ")", atInf,
                    LinearizedDynamics.kernelRegressionCovariance(kernel, kernelTx, k, 0), Tolerances.DENSE_SOLVE);
            // The variance shrinks as training goes on, never below zero: trace of Σ(t) decreasing in t for the NNGP.
            if (nngpRegime) {
                double before = Double.POSITIVE_INFINITY;
                for (double t : new double[] {0, 1, 10, 100, tLong}) {
                    double tr = trace(ld.predictTestCovariance(t, k));
                    assertTrue(tr <= before * (1 + 1e-12) && tr >= 0, "trace Σ(" + t + ") = " + tr + " after " + before);
                    before = tr;
                }
            }
        }
    }

    @Test
    void rejectsAPriorOfAnotherLayout() {
        PriorCovariance trace = nngp(NtkMode.TRACE);
        Matrix theta = m(INF.ntk(X, NtkMode.FULL));
        Matrix thetaTx = m(INF.ntk(XT, X, NtkMode.FULL));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> LinearizedDynamics.kernelRegressionCovariance(theta, thetaTx, trace, 0));
        assertTrue(e.getMessage().contains("layout"), e.getMessage());
        LinearizedDynamics noTest = LinearizedDynamics.builder(trace.train(), Matrix.zeros(9, 3), Y)
                .learningRate(LearningRate.fixed(1.0))
                .build();
        assertThrows(InvalidInputException.class, () -> noTest.predictTestCovariance(1, trace));
        assertThrows(InvalidInputException.class, () -> new PriorCovariance(trace.train(), trace.test(), trace.test()));
        assertThrows(InvalidInputException.class,
                () -> LinearizedDynamics.kernelRegressionCovariance(trace.train(), trace.testTrain(), trace, -1));
    }

    /** B with f_test(s) − f_test,0 = B·f_0 (+ terms in y), from the steps f ← f − lrN·Θ f, f_t ← f_t − lrN·Θ_tx f. */
    private static Matrix stepMap(Matrix theta, Matrix thetaTx, double lrN, int steps) {
        int n = theta.rows();
        Matrix f = scaledIdentity(n, 1);
        Matrix ft = Matrix.zeros(thetaTx.rows(), n);
        for (int s = 0; s < steps; s++) {
            Matrix df = times(theta, f);
            ft = minus(ft, scale(times(thetaTx, f), lrN));
            f = minus(f, scale(df, lrN));
        }
        return ft;
    }

    private static void assertSymmetricPsd(Matrix c) {
        int n = c.rows();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                assertEquals(c.get(i, j), c.get(j, i), 0.0, "symmetric at (" + i + ", " + j + ")");
            }
        }
        double[] ev = LinearAlgebra.symmetricEigenvalues(c);
        assertTrue(ev[0] >= -Tolerances.DENSE_SOLVE * Math.abs(ev[n - 1]), "λ_min " + ev[0] + ", λ_max " + ev[n - 1]);
    }

    // Plain fp64 dense algebra, independent of BLAS/LAPACK.

    private static Matrix times(Matrix a, Matrix b) {
        Matrix c = Matrix.zeros(a.rows(), b.cols());
        for (int i = 0; i < a.rows(); i++) {
            for (int k = 0; k < a.cols(); k++) {
                double v = a.get(i, k);
                for (int j = 0; j < b.cols(); j++) {
                    c.data()[i * b.cols() + j] += v * b.get(k, j);
                }
            }
        }
        return c;
    }

    private static Matrix transpose(Matrix a) {
        Matrix t = Matrix.zeros(a.cols(), a.rows());
        for (int i = 0; i < a.rows(); i++) {
            for (int j = 0; j < a.cols(); j++) {
                t.set(j, i, a.get(i, j));
            }
        }
        return t;
    }

    private static Matrix plus(Matrix a, Matrix b) {
        Matrix c = a.copy();
        for (int i = 0; i < c.data().length; i++) {
            c.data()[i] += b.data()[i];
        }
        return c;
    }

    private static Matrix minus(Matrix a, Matrix b) {
        return plus(a, scale(b, -1));
    }

    private static Matrix scale(Matrix a, double s) {
        Matrix c = a.copy();
        for (int i = 0; i < c.data().length; i++) {
            c.data()[i] *= s;
        }
        return c;
    }

    private static Matrix scaledIdentity(int n, double v) {
        Matrix c = Matrix.zeros(n, n);
        for (int i = 0; i < n; i++) {
            c.set(i, i, v);
        }
        return c;
    }

    private static double trace(Matrix a) {
        double s = 0;
        for (int i = 0; i < a.rows(); i++) {
            s += a.get(i, i);
        }
        return s;
    }
}

package org.ntk4j.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.ntk4j.ProgressListener;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.NtkException;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.analytic.AnalyticKernel;
import org.ntk4j.dynamics.LinearizedDynamics;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.RegressionProblem;

/** PCG against the dense Cholesky solve and against the linearised dynamics at t = ∞. */
class ConjugateGradientTest {
    private static final RegressionProblem PROBLEM = RegressionProblem.clustered();
    private static final int N = RegressionProblem.N;
    private static final int N_TEST = RegressionProblem.N_TEST;
    private static final int O = RegressionProblem.O;
    private static final Architecture ARCH = PROBLEM.arch();
    private static final double LAMBDA = PROBLEM.lambda();
    private static final double TOL = 1e-12;
    /**
     * Stated iteration counts: measured 239 (plain), 138 (block-Jacobi, tiles of 333), 42 (Nyström, m = 200); the
     * bounds are ~10% above, for rounding differences between BLAS builds.
     */
    private static final int PLAIN_MAX = 265;
    private static final int BLOCK_JACOBI_MAX = 155;
    private static final int NYSTROM_MAX = 50;

    private static Matrix theta;
    private static ConjugateGradient.Result plain;
    private static ConjugateGradient.Result blockJacobi;
    private static ConjugateGradient.Result nystrom;
    private static Matrix thetaTest;
    private static Matrix y;

    @BeforeAll
    static void kernels() {
        Matrix x = PROBLEM.x();
        Matrix xt = PROBLEM.xTest();
        AnalyticKernel k = AnalyticKernel.of(ARCH);
        theta = k.ntk(x, NtkMode.TRACE).asMatrix();
        thetaTest = k.ntk(xt, x, NtkMode.TRACE).asMatrix();
        y = PROBLEM.y();
        // Each solve once (a 2000×2000 operator is ~30 MB read per iteration): the tests below look at the results.
        plain = solve(Preconditioner.IDENTITY, 3000);
        blockJacobi = solve(Preconditioners.blockJacobi(diagonalBlocks(333), LAMBDA), 3000);
        int[] s = Preconditioners.landmarks(N, 200, 5);
        nystrom = solve(Preconditioners.nystrom(columns(s), s, LAMBDA), 3000);
    }

    private static Matrix cholesky() {
        Matrix reg = theta.copy();
        for (int i = 0; i < N; i++) {
            reg.set(i, i, reg.get(i, i) + LAMBDA);
        }
        return LinearAlgebra.choleskySolve(reg, y);
    }

    private static List<Matrix> diagonalBlocks(int tile) {
        List<Matrix> blocks = new ArrayList<>();
        for (int i0 = 0; i0 < N; i0 += tile) {
            int t = Math.min(tile, N - i0);
            Matrix b = Matrix.zeros(t, t);
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < t; j++) {
                    b.set(i, j, theta.get(i0 + i, i0 + j));
                }
            }
            blocks.add(b);
        }
        return blocks;
    }

    private static Matrix columns(int[] s) {
        Matrix c = Matrix.zeros(N, s.length);
        for (int i = 0; i < N; i++) {
            for (int a = 0; a < s.length; a++) {
                c.set(i, a, theta.get(i, s[a]));
            }
        }
        return c;
    }

    private static ConjugateGradient.Result solve(Preconditioner m, int maxIter) {
        List<Double> reported = new ArrayList<>();
        ConjugateGradient.Result r = ConjugateGradient.solve(SymmetricOperator.dense(theta, LAMBDA), y, m, TOL, maxIter,
                p -> reported.add(Double.parseDouble(p.detail().substring("residual ".length()))));
        assertEquals(r.iterations(), reported.size(), "one progress report per iteration");
        for (int i = 0; i < reported.size(); i++) {
            assertEquals(r.residuals()[i + 1], reported.get(i), 1e-3 * r.residuals()[i + 1], "reported residual " + i);
        }
        return r;
    }

    private static void assertMatchesCholesky(String what, ConjugateGradient.Result r) {
        assertTrue(r.converged(), what + " did not converge: residual " + r.finalResidual());
        Matrix alpha = cholesky();
        Compare.assertClose(what + ": α", r.solution(), alpha, 1e-8);
        Matrix pred = LinearAlgebra.multiply(thetaTest, false, r.solution(), false);
        Matrix expected = LinearizedDynamics.kernelRegression(new Tensor(new int[] {N, N}, theta.data()),
                new Tensor(new int[] {N_TEST, N}, thetaTest.data()), y, LAMBDA);
        Compare.assertClose(what + ": predictions", pred, expected, 1e-8);
    }

    @Test
    void plainConjugateGradientsMatchCholeskyWithinTheStatedIterations() {
        assertMatchesCholesky("CG", plain);
        assertTrue(plain.iterations() <= PLAIN_MAX, "CG took " + plain.iterations() + " iterations, stated ≤ " + PLAIN_MAX);
    }

    @Test
    void blockJacobiAndNystromMatchCholeskyInFewerIterations() {
        assertMatchesCholesky("block-Jacobi PCG", blockJacobi);
        assertMatchesCholesky("Nyström PCG", nystrom);
        assertTrue(blockJacobi.iterations() < plain.iterations(), "block-Jacobi " + blockJacobi.iterations() + " vs plain "
                + plain.iterations());
        assertTrue(blockJacobi.iterations() <= BLOCK_JACOBI_MAX, "block-Jacobi took " + blockJacobi.iterations()
                + ", stated ≤ " + BLOCK_JACOBI_MAX);
        assertTrue(nystrom.iterations() <= NYSTROM_MAX, "Nyström took " + nystrom.iterations() + ", stated ≤ " + NYSTROM_MAX);
    }

    @Test
    void atZeroRidgeItIsTheLinearisedDynamicsAtInfiniteTime() {
        // Small, well-conditioned without a ridge; f_0 = 0 as for the infinite-width kernel.
        int n = 40;
        Matrix x = NtkCase.gaussianInputs(n, 8, 21);
        Matrix xt = NtkCase.gaussianInputs(9, 8, 22);
        Matrix yy = NtkCase.gaussianInputs(n, O, 23);
        AnalyticKernel k = AnalyticKernel.of(ARCH);
        Tensor kk = k.ntk(x, NtkMode.TRACE);
        Tensor kt = k.ntk(xt, x, NtkMode.TRACE);
        Matrix expected = LinearizedDynamics.builder(kk, Matrix.zeros(n, O), yy).test(kt, Matrix.zeros(9, O)).build()
                .predictTest(Double.POSITIVE_INFINITY);
        ConjugateGradient.Result r = ConjugateGradient.solve(SymmetricOperator.dense(kk.asMatrix(), 0), yy,
                Preconditioner.IDENTITY, 1e-14, 500, ProgressListener.NONE);
        assertTrue(r.converged());
        Compare.assertClose("PCG(λ = 0) vs gradient_descent_mse(t = ∞)", LinearAlgebra.multiply(kt.asMatrix(), false,
                r.solution(), false), expected, 1e-9);
    }

    @Test
    void zeroRightHandSideColumnsAreSolvedAtOnceAndOthersStillConverge() {
        Matrix a = Matrix.of(new double[][] {{4, 1, 0}, {1, 3, 1}, {0, 1, 2}});
        Matrix b = Matrix.of(new double[][] {{0, 1}, {0, -2}, {0, 0.5}});
        ConjugateGradient.Result r = ConjugateGradient.solve(SymmetricOperator.dense(a, 0), b, Preconditioner.IDENTITY,
                1e-14, 50, ProgressListener.NONE);
        assertTrue(r.converged());
        Matrix exact = LinearAlgebra.choleskySolve(a, b);
        for (int i = 0; i < 3; i++) {
            assertEquals(0.0, r.solution().get(i, 0));
            assertEquals(exact.get(i, 1), r.solution().get(i, 1), 1e-13);
        }
        assertTrue(r.iterations() <= 3, "exact arithmetic needs ≤ 3 iterations on a 3×3 matrix, took " + r.iterations());
    }

    @Test
    void theStoppingTestIsScaleInvariantSoTinyAndHugeTargetsAreSolved() {
        Matrix a = Matrix.of(new double[][] {{4, 1, 0}, {1, 3, 1}, {0, 1, 2}});
        Matrix b = Matrix.of(new double[][] {{1, 0.25}, {-2, 3}, {0.5, -1}});
        Matrix exact = LinearAlgebra.choleskySolve(a, b);
        for (double scale : new double[] {1e-170, 1e-300, 4.9e-324 * 1e10, 1e160, 1e300}) {
            double[] scaled = b.data().clone();
            for (int i = 0; i < scaled.length; i++) {
                scaled[i] *= scale;
            }
            ConjugateGradient.Result r = ConjugateGradient.solve(SymmetricOperator.dense(a, 0), new Matrix(3, 2, scaled),
                    Preconditioner.IDENTITY, 1e-12, 50, ProgressListener.NONE);
            assertTrue(r.converged() && r.iterations() >= 2, "scale " + scale + ": " + r.iterations() + " iterations");
            for (int i = 0; i < 6; i++) {
                assertEquals(exact.data()[i], r.solution().data()[i] / scale, 1e-9 * Math.abs(exact.data()[i]) + 1e-9,
                        "scale " + scale);
            }
        }
    }

    @Test
    void aSingularSystemIsRefusedNotSolvedToHugeNumbers() {
        // Θ of examples 0 and 1 equal (a duplicated example), targets different, no ridge: no solution exists.
        Matrix a = Matrix.of(new double[][] {{2, 2, 1}, {2, 2, 1}, {1, 1, 3}});
        Matrix b = Matrix.of(new double[][] {{1}, {-1}, {0.5}});
        for (Preconditioner m : new Preconditioner[] {Preconditioner.IDENTITY,
            Preconditioners.nystrom(a, new int[] {0, 1, 2}, 0)}) {
            SingularSystemException e = assertThrows(SingularSystemException.class, () -> ConjugateGradient.solve(
                    SymmetricOperator.dense(a, 0), b, m, 1e-10, 100, ProgressListener.NONE));
            assertTrue(e.getMessage().contains("singular"), e.getMessage());
        }
        // The same with a ridge is well posed, and solved.
        ConjugateGradient.Result r = ConjugateGradient.solve(SymmetricOperator.dense(a, 1e-3), b,
                Preconditioner.IDENTITY, 1e-10, 100, ProgressListener.NONE);
        assertTrue(r.converged());
    }

    @Test
    void anOverflowingOperatorIsNamedAsSuch() {
        Matrix a = Matrix.of(new double[][] {{2, 1}, {1, 2}});
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ConjugateGradient.solve(
                SymmetricOperator.dense(a, Double.MAX_VALUE), Matrix.of(new double[][] {{1}, {1}}),
                Preconditioner.IDENTITY, 1e-10, 10, ProgressListener.NONE));
        assertTrue(e.getMessage().contains("overflowed"), e.getMessage());
    }

    @Test
    void theNystromPreconditionerOfAZeroKernelIsTheIdentity() {
        Matrix zero = Matrix.zeros(5, 2);
        Preconditioner m = Preconditioners.nystrom(zero, new int[] {1, 3}, 1.0);
        Matrix r = Matrix.of(new double[][] {{1}, {2}, {3}, {4}, {5}});
        assertEquals(java.util.Arrays.toString(r.data()), java.util.Arrays.toString(m.apply(r).data()));
        ConjugateGradient.Result s = ConjugateGradient.solve(SymmetricOperator.dense(Matrix.zeros(5, 5), 1.0), r, m,
                1e-12, 10, ProgressListener.NONE);
        assertTrue(s.converged());
        assertEquals(3.0, s.solution().get(2, 0), 1e-12, "(0 + 1·I)·α = y");
    }

    @Test
    void anIndefiniteMatrixIsReportedNotSolved() {
        Matrix a = Matrix.of(new double[][] {{1, 0}, {0, -1}});
        NtkException e = assertThrows(NtkException.class, () -> ConjugateGradient.solve(SymmetricOperator.dense(a, 0),
                Matrix.of(new double[][] {{0.2}, {1}}), Preconditioner.IDENTITY, 1e-10, 10, ProgressListener.NONE));
        assertTrue(e.getMessage().contains("not positive definite"), e.getMessage());
    }

    @Test
    void badShapesAndSettingsAreRefused() {
        SymmetricOperator a = SymmetricOperator.dense(Matrix.of(new double[][] {{2, 0}, {0, 3}}), 0);
        assertThrows(InvalidInputException.class, () -> ConjugateGradient.solve(a, Matrix.zeros(3, 1),
                Preconditioner.IDENTITY, 1e-6, 10, ProgressListener.NONE));
        assertThrows(InvalidInputException.class, () -> ConjugateGradient.solve(a, Matrix.zeros(2, 1),
                Preconditioner.IDENTITY, 0, 10, ProgressListener.NONE));
        assertThrows(InvalidInputException.class, () -> Preconditioners.landmarks(5, 6, 1));
        assertThrows(InvalidInputException.class, () -> Preconditioners.blockJacobi(List.of(Matrix.zeros(2, 3)), 0));
    }
}

package org.ntk4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.analytic.AnalyticKernel;
import org.ntk4j.dynamics.LinearizedDynamics;
import org.ntk4j.linalg.LinearAlgebra;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.DenseSolve;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.RegressionProblem;

/** PCG over Spark tiles against the dense Cholesky solve and the linearised dynamics at t = ∞. */
class DistributedRegressionTest {
    private static final RegressionProblem PROBLEM = RegressionProblem.clustered();
    /** Three row blocks (667, 667, 666): six tiles, one task each, per product. */
    private static final int TILE = 667;
    /**
     * Stated iteration counts at tolerance 1e-12 (measured: plain 239–241 — as in one process, the operator being the
     * same up to rounding — Nyström with 150 landmarks 46, block-Jacobi over the 667-row diagonal tiles 111); bounds
     * ~10% above.
     */
    private static final int PLAIN_MAX = 265;
    private static final int NYSTROM_MAX = 52;
    private static final int BLOCK_JACOBI_MAX = 125;

    @TempDir
    static Path dir;

    private static NpyRows x;
    private static NpyRows xTest;
    private static Matrix alphaCholesky;
    private static Matrix predCholesky;

    @BeforeAll
    static void data() throws IOException {
        x = SparkTests.rows(dir, "x", PROBLEM.x());
        xTest = SparkTests.rows(dir, "xt", PROBLEM.xTest());
        AnalyticKernel k = AnalyticKernel.of(PROBLEM.arch());
        Tensor theta = k.ntk(PROBLEM.x(), NtkMode.TRACE);
        Tensor thetaTest = k.ntk(PROBLEM.xTest(), PROBLEM.x(), NtkMode.TRACE);
        Matrix reg = theta.asMatrix().copy();
        for (int i = 0; i < reg.rows(); i++) {
            reg.set(i, i, reg.get(i, i) + PROBLEM.lambda());
        }
        alphaCholesky = LinearAlgebra.choleskySolve(reg, PROBLEM.y());
        predCholesky = LinearizedDynamics.kernelRegression(theta, thetaTest, PROBLEM.y(), PROBLEM.lambda());
    }

    /** Fits PROBLEM over cached tiles with the preconditioner {@code precondition} chooses ({@code m} names it). */
    private static DistributedRegression.Result fit(String m, UnaryOperator<DistributedRegression.Builder> precondition) {
        List<Double> residuals = new ArrayList<>();
        DistributedRegression.Result r = precondition.apply(DistributedRegression.builder(SparkTests.spark(),
                        KernelSpec.analytic(PROBLEM.arch(), NtkMode.TRACE, false), x, PROBLEM.y()))
                .ridge(PROBLEM.lambda()).tolerance(1e-12).maxIterations(1000).tile(TILE)
                .progress(p -> residuals.add(Double.parseDouble(p.detail().substring("residual ".length()))))
                .fit(xTest);
        assertTrue(r.solve().converged(), m + ": residual " + r.solve().finalResidual());
        assertEquals(r.solve().iterations(), residuals.size(), "a residual reported per iteration");
        Compare.assertClose(m + " α", r.alpha(), alphaCholesky, 1e-8);
        Compare.assertClose(m + " predictions", r.predictions(), predCholesky, 1e-8);
        return r;
    }

    @Test
    void plainConjugateGradientsOverCachedTilesMatchCholesky() {
        int it = fit("plain CG", b -> b).solve().iterations();
        assertTrue(it <= PLAIN_MAX, "plain CG took " + it + ", stated ≤ " + PLAIN_MAX);
    }

    @Test
    void nystromMatchesCholeskyInFewIterations() {
        int it = fit("Nyström", b -> b.nystrom(150)).solve().iterations();
        assertTrue(it <= NYSTROM_MAX, "Nyström PCG took " + it + ", stated ≤ " + NYSTROM_MAX);
    }

    @Test
    void blockJacobiOverCachedTilesMatchesCholesky() {
        int it = fit("block-Jacobi", DistributedRegression.Builder::blockJacobi).solve().iterations();
        assertTrue(it <= BLOCK_JACOBI_MAX, "block-Jacobi PCG took " + it + ", stated ≤ " + BLOCK_JACOBI_MAX);
    }

    @Test
    void theFullEmpiricalKernelRecomputedPerProductAtZeroRidgeIsGradientDescentMseAtInfiniteTime() {
        // 9 examples × 2 outputs: an 18×18 system, well conditioned for a network of 151 parameters.
        Architecture arch = Architecture.builder(4).hidden(25).activation(Activation.TANH).output(2).sigmaB(0.3).build();
        Parameters p = Parameters.init(arch, 4);
        Matrix xs = NtkCase.gaussianInputs(9, 4, 5);
        Matrix xt = NtkCase.gaussianInputs(6, 4, 6);
        Matrix y = NtkCase.gaussianInputs(9, 2, 7);
        Matrix expected;
        try (Ntk ref = Ntk.builder().backend("reference").precision(Precision.FP64).open()) {
            Tensor k = ref.kernel(p, xs, NtkMode.FULL);
            Tensor kt = ref.kernel(p, xt, xs, NtkMode.FULL);
            expected = LinearizedDynamics.builder(k, Matrix.zeros(9, 2), y).test(kt, Matrix.zeros(6, 2)).build()
                    .predictTest(Double.POSITIVE_INFINITY);
        }
        Matrix direct = gradientDescentMseAtInfinity(p, xs, xt, y);
        // Tiles of 4 rows, and block-Jacobi over tiles of 2³¹ − 1 rows (one tile, the whole kernel: no int overflow in
        // any tile position or block shape; the preconditioner is then the exact inverse).
        Map<String, UnaryOperator<DistributedRegression.Builder>> settings = new LinkedHashMap<>();
        settings.put("plain CG over 4-row tiles", b -> b.tile(4));
        settings.put("block-Jacobi over one tile of 2³¹ − 1 rows", b -> b.blockJacobi().tile(Integer.MAX_VALUE));
        for (var setting : settings.entrySet()) {
            String o = setting.getKey();
            DistributedRegression.Result r;
            try {
                r = setting.getValue().apply(DistributedRegression.builder(SparkTests.spark(),
                                KernelSpec.empirical(p, NtkMode.FULL, Precision.FP64, Implementation.STRUCTURED, "cpu"),
                                SparkTests.rows(dir, "xs", xs), y))
                        .tolerance(1e-13).maxIterations(500).cacheTiles(false)
                        .fit(SparkTests.rows(dir, "xst", xt));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            assertTrue(r.solve().converged(), o + ": residual " + r.solve().finalResidual());
            Compare.assertClose("full-mode PCG(λ = 0) vs gradient_descent_mse(t = ∞), " + o, r.predictions(), expected,
                    1e-8);
            // and what gradient_descent_mse(t = ∞) is, by a dense solve that shares nothing with ntk4j's solvers:
            // f(x_test) = Θ(x_test, x) Θ(x, x)⁻¹ y (f₀ = 0), the kernels flattened example-major, output-minor
            Compare.assertClose("full-mode PCG(λ = 0) vs Θ_tx Θ⁻¹ y by Gauss–Jordan, " + o, r.predictions(), direct,
                    1e-8);
        }
    }

    /** Θ(xt, x) Θ(x, x)⁻¹ y with the full kernels from the reference backend and a plain Gauss–Jordan inverse. */
    private static Matrix gradientDescentMseAtInfinity(Parameters p, Matrix xs, Matrix xt, Matrix y) {
        int n = xs.rows();
        int m = xt.rows();
        int o = y.cols();
        Matrix train = Matrix.zeros(n * o, n * o);
        Matrix test = Matrix.zeros(m * o, n * o);
        try (Ntk ref = Ntk.builder().backend("reference").precision(Precision.FP64).open()) {
            Tensor k = ref.kernel(p, xs, NtkMode.FULL);
            Tensor kt = ref.kernel(p, xt, xs, NtkMode.FULL);
            for (int a = 0; a < o; a++) {
                for (int b = 0; b < o; b++) {
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            train.set(i * o + a, j * o + b, k.get(i, j, a, b));
                        }
                    }
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            test.set(i * o + a, j * o + b, kt.get(i, j, a, b));
                        }
                    }
                }
            }
        }
        Matrix inv = DenseSolve.inverse(train);
        Matrix out = Matrix.zeros(m, o);
        for (int r = 0; r < m * o; r++) {
            double s = 0;
            for (int c = 0; c < n * o; c++) {
                double w = 0;
                for (int q = 0; q < n * o; q++) {
                    w += inv.get(c, q) * y.get(q / o, q % o);
                }
                s += test.get(r, c) * w;
            }
            out.set(r / o, r % o, s);
        }
        return out;
    }

    @Test
    void badTargetsAndModesAreRefused() {
        KernelSpec k = KernelSpec.analytic(PROBLEM.arch(), NtkMode.TRACE, false);
        InvalidInputException shape = assertThrows(InvalidInputException.class, () -> DistributedRegression.builder(
                SparkTests.spark(), k, x, Matrix.zeros(5, 3)).ridge(1).tile(TILE).fit(xTest));
        assertTrue(shape.getMessage().contains("targets have shape (5, 3)"), shape.getMessage());
        InvalidInputException diagonal = assertThrows(InvalidInputException.class, () -> DistributedRegression.builder(
                SparkTests.spark(), KernelSpec.analytic(PROBLEM.arch(), NtkMode.DIAGONAL, false), x, PROBLEM.y())
                .ridge(1).tile(TILE).fit(xTest));
        assertTrue(diagonal.getMessage().contains("not the diagonal one"), diagonal.getMessage());
    }

    @Test
    void badSettingsAreRefusedWhereTheyAreGiven() {
        DistributedRegression.Builder b = DistributedRegression.builder(SparkTests.spark(),
                KernelSpec.analytic(PROBLEM.arch(), NtkMode.TRACE, false), x, PROBLEM.y());
        Map<String, Executable> bad = new LinkedHashMap<>();
        bad.put("λ must be non-negative and finite, got -1.0", () -> b.ridge(-1));
        bad.put("λ must be non-negative and finite, got NaN", () -> b.ridge(Double.NaN));
        bad.put("tolerance must be in (0, 1), got 0.0", () -> b.tolerance(0));
        bad.put("tolerance must be in (0, 1), got 1.0", () -> b.tolerance(1));
        bad.put("at least one iteration must be allowed, got 0", () -> b.maxIterations(0));
        bad.put("the Nyström rank must be at least 1, got 0", () -> b.nystrom(0));
        bad.put("the tile size must be at least 1, got 0", () -> b.tile(0));
        bad.put("the progress listener is null: pass ProgressListener.NONE for none", () -> b.progress(null));
        bad.put("the examples to predict at must be given", () -> b.fit(null));
        bad.put("the session, kernel, training examples and targets must be given",
                () -> DistributedRegression.builder(SparkTests.spark(), null, x, PROBLEM.y()));
        for (var e : bad.entrySet()) {
            assertEquals(e.getKey(), assertThrows(InvalidInputException.class, e.getValue()).getMessage());
        }
    }
}

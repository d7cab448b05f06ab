package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.Implementation;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.analytic.AnalyticKernel;
import org.ntk4j.dynamics.LearningRate;
import org.ntk4j.dynamics.LinearizedDynamics;
import org.ntk4j.dynamics.PriorCovariance;
import org.ntk4j.io.Npy;
import org.ntk4j.linalg.LinearAlgebra;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Reference;

class PredictCommandTest {
    @TempDir
    Path dir;

    private Matrix read(Path p) throws IOException {
        Tensor a = Npy.read(p);
        return a.asMatrix();
    }

    private static void assertClose(Matrix want, Matrix got, double tol, String what) {
        assertEquals(want.rows(), got.rows(), what);
        assertEquals(want.cols(), got.cols(), what);
        double num = 0;
        double den = 0;
        for (int i = 0; i < want.data().length; i++) {
            double d = want.data()[i] - got.data()[i];
            num += d * d;
            den += want.data()[i] * want.data()[i];
        }
        assertTrue(Math.sqrt(num / den) <= tol, what + ": relative error " + Math.sqrt(num / den));
    }

    @Test
    void atInfinityTheTrainingTargetsAreInterpolatedAndAtZeroTheInitialOutputsReturn() throws IOException {
        Matrix x = Cli.randomInputs(dir.resolve("x.npy"), 7, 3, 1, false);
        Matrix y = Cli.randomInputs(dir.resolve("y.npy"), 7, 2, 2, false);
        for (String[] impl : new String[][] {{"--device", "reference"}, {"--impl", "analytic"}}) {
            for (String kernel : new String[] {"trace", "full"}) {
                Path out = dir.resolve("p.npy");
                Cli.Result r = Cli.run("predict", "--x", dir.resolve("x.npy"), "--y", dir.resolve("y.npy"), "--x-test",
                        dir.resolve("x.npy"), "--arch", "3,40,2", "--seed", 5, impl[0], impl[1], "--mode", kernel,
                        "--precision", "fp64", "--out", out, "--y-test", dir.resolve("y.npy"));
                assertEquals(0, r.code(), r.toString());
                assertClose(y, read(out), 1e-8, impl[1] + " " + kernel + " t=inf on the training inputs");
                assertTrue(r.err().contains("test RMSE") && r.err().contains("accuracy 100.0%"), r.err());
            }
        }
        Cli.Result r0 = Cli.run("predict", "--x", dir.resolve("x.npy"), "--y", dir.resolve("y.npy"), "--x-test",
                dir.resolve("x.npy"), "--arch", "3,40,2", "--seed", 5, "--device", "reference", "--t", 0, "--lr", 1,
                "--precision", "fp64", "--out", dir.resolve("p0.npy"), "-q");
        assertEquals(0, r0.code(), r0.toString());
        Matrix f0 = Reference.backend().forward(Parameters.init(Architecture.parseWidths("3,40,2").build(), 5), x);
        assertArrayEquals(f0.data(), read(dir.resolve("p0.npy")).data(), 1e-12);
    }

    @Test
    void finiteTimeMatchesTheLinearModelTrainedStepByStep() throws IOException {
        Matrix x = Cli.randomInputs(dir.resolve("x.npy"), 6, 3, 3, false);
        Matrix y = Cli.randomInputs(dir.resolve("y.npy"), 6, 2, 4, false);
        Matrix xt = Cli.randomInputs(dir.resolve("xt.npy"), 4, 3, 5, false);
        double eta = 0.7;
        int steps = 25;
        Cli.Result r = Cli.run("predict", "--x", dir.resolve("x.npy"), "--y", dir.resolve("y.npy"), "--x-test",
                dir.resolve("xt.npy"), "--arch", "3,16,2", "--seed", 9, "--device", "reference", "--mode", "full",
                "--t", steps, "--lr", eta, "--precision", "fp64", "--out", dir.resolve("p.npy"), "-q");
        assertEquals(0, r.code(), r.toString());

        // The linearised model f_lin(θ) = f_0 + J_0 (θ − θ_0) under the same gradient steps: in output space the
        // train residual moves by −(η/n)·Θ·r and the test outputs by −(η/n)·Θ_test,train·r.
        org.ntk4j.spi.Backend ref = Reference.backend();
        Parameters p = Parameters.init(Architecture.parseWidths("3,16,2").build(), 9);
        int n = 6 * 2;
        double[][] k = asMatrix(ref.kernel(p, x, NtkMode.FULL, Implementation.AUTO), 6, 6, 2);
        double[][] kt = asMatrix(ref.kernel(p, xt, x, NtkMode.FULL, Implementation.AUTO), 4, 6, 2);
        double[] f = ref.forward(p, x).data().clone();
        double[] ft = ref.forward(p, xt).data().clone();
        for (int s = 0; s < steps; s++) {
            double[] res = new double[n];
            for (int i = 0; i < n; i++) {
                res[i] = f[i] - y.data()[i];
            }
            for (int i = 0; i < n; i++) {
                f[i] -= eta / n * dot(k[i], res);
            }
            for (int i = 0; i < ft.length; i++) {
                ft[i] -= eta / n * dot(kt[i], res);
            }
        }
        assertClose(new Matrix(4, 2, ft), read(dir.resolve("p.npy")), 1e-9, "linearised prediction after 25 steps");
    }

    @Test
    void covarianceIsTheGaussianProcessPosteriorForTheNngpAndTheEnsemblesForTheNtk() throws IOException {
        Matrix x = Cli.randomInputs(dir.resolve("x.npy"), 8, 3, 3, false);
        Matrix y = Cli.randomInputs(dir.resolve("y.npy"), 8, 2, 4, false);
        Matrix xt = Cli.randomInputs(dir.resolve("xt.npy"), 5, 3, 5, false);
        Architecture arch = Architecture.parseWidths("3,1,2").build();
        AnalyticKernel inf = AnalyticKernel.of(arch);
        Matrix k = inf.nngp(x, NtkMode.TRACE).asMatrix();
        Matrix kxt = inf.nngp(x, xt, NtkMode.TRACE).asMatrix();
        Matrix ktt = inf.nngp(xt, NtkMode.TRACE).asMatrix();
        // NNGP at t = ∞: the GP posterior, mean K_tx K⁻¹ y and covariance K_tt − K_tx K⁻¹ K_xt.
        Cli.Result r = Cli.run("predict", "--x", dir.resolve("x.npy"), "--y", dir.resolve("y.npy"), "--x-test",
                dir.resolve("xt.npy"), "--arch", "3,1,2", "--impl", "analytic", "--kind", "nngp", "--precision",
                "fp64", "--out", dir.resolve("m.npy"), "--cov", dir.resolve("c.npy"));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("predictive covariance"), r.err());
        Matrix kInvKxt = LinearAlgebra.choleskySolve(k, kxt);
        Matrix wantCov = ktt.copy();
        LinearAlgebra.gemm(-1, kxt, true, kInvKxt, false, 1, wantCov);
        assertClose(wantCov, read(dir.resolve("c.npy")), 1e-12, "NNGP covariance = GP posterior");
        assertClose(LinearAlgebra.multiply(kxt, true, LinearAlgebra.choleskySolve(k, y), false),
                read(dir.resolve("m.npy")), 1e-12, "NNGP mean = GP posterior mean");
        // NTK after 30 steps: the library's ensemble covariance over the NNGP prior.
        Cli.Result n = Cli.run("predict", "--x", dir.resolve("x.npy"), "--y", dir.resolve("y.npy"), "--x-test",
                dir.resolve("xt.npy"), "--arch", "3,1,2", "--impl", "analytic", "--t", 30, "--lr", 0.5,
                "--precision", "fp64", "--out", dir.resolve("m2.npy"), "--cov", dir.resolve("c2.npy"), "-q");
        assertEquals(0, n.code(), n.toString());
        LinearizedDynamics lin = LinearizedDynamics.builder(inf.ntk(x, NtkMode.TRACE), Matrix.zeros(8, 2), y)
                .test(inf.ntk(xt, x, NtkMode.TRACE), Matrix.zeros(5, 2))
                .learningRate(LearningRate.fixed(0.5))
                .flow(LinearizedDynamics.Flow.GRADIENT_DESCENT)
                .build();
        Matrix cov = lin.predictTestCovariance(30, new PriorCovariance(k, transposed(kxt), ktt));
        assertClose(cov, read(dir.resolve("c2.npy")), 1e-12, "NTK covariance after 30 steps");
        // Only the infinite ensemble has a covariance over initialisations.
        Cli.Result bad = Cli.run("predict", "--x", dir.resolve("x.npy"), "--y", dir.resolve("y.npy"), "--x-test",
                dir.resolve("xt.npy"), "--arch", "3,8,2", "--device", "reference", "--out", dir.resolve("m3.npy"),
                "--cov", dir.resolve("c3.npy"));
        assertEquals(2, bad.code(), bad.toString());
        assertTrue(bad.err().contains("--cov needs --impl analytic"), bad.err());
        assertEquals(java.util.List.of(), Cli.leftovers(dir));
    }

    private static Matrix transposed(Matrix a) {
        Matrix t = Matrix.zeros(a.cols(), a.rows());
        for (int i = 0; i < a.rows(); i++) {
            for (int j = 0; j < a.cols(); j++) {
                t.set(j, i, a.get(i, j));
            }
        }
        return t;
    }

    private static double[][] asMatrix(Tensor full, int n1, int n2, int o) {
        double[][] m = new double[n1 * o][n2 * o];
        for (int i = 0; i < n1; i++) {
            for (int j = 0; j < n2; j++) {
                for (int a = 0; a < o; a++) {
                    for (int b = 0; b < o; b++) {
                        m[i * o + a][j * o + b] = full.get(i, j, a, b);
                    }
                }
            }
        }
        return m;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Test
    void badTimeAndMismatchedTestInputsAreUsageErrors() throws IOException {
        Cli.randomInputs(dir.resolve("x.npy"), 6, 3, 3, false);
        Cli.randomInputs(dir.resolve("y.npy"), 6, 2, 4, false);
        Cli.randomInputs(dir.resolve("xt.npy"), 4, 5, 5, false);
        Cli.Result r = Cli.run("predict", "--x", dir.resolve("x.npy"), "--y", dir.resolve("y.npy"), "--x-test",
                dir.resolve("xt.npy"), "--arch", "3,16,2", "--device", "reference", "--out", dir.resolve("p.npy"));
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("xt.npy") && r.err().contains("5 features"), r.err());
        Cli.Result r2 = Cli.run("predict", "--x", dir.resolve("x.npy"), "--y", dir.resolve("y.npy"), "--x-test",
                dir.resolve("x.npy"), "--arch", "3,16,2", "--device", "reference", "--t", "soon", "--out",
                dir.resolve("p.npy"));
        assertEquals(2, r2.code(), r2.toString());
        assertTrue(r2.err().contains("--t") && r2.err().contains("soon"), r2.err());
    }
}

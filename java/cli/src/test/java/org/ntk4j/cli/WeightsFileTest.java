package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.io.Npy;
import org.ntk4j.io.Npz;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.Tolerances;

/**
 * Weights that come without ntk4j's architecture.json (PyTorch's {@code nn.Linear} layers saved as W0, b0, …): they
 * are used only as the user says, and then give the kernel of the network PyTorch computes.
 */
class WeightsFileTest {
    @TempDir
    Path dir;

    private static final int D = 5;
    private static final int H = 7;
    private static final int O = 3;

    /** A 5-7-3 relu MLP as PyTorch stores it: W (out, in), b (out), used as stored (standard parameterization). */
    private record TorchMlp(double[] w0, double[] b0, double[] w1, double[] b1) {
        static TorchMlp random(long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            return new TorchMlp(gaussian(r, H * D, 1 / Math.sqrt(D)), gaussian(r, H, 0.5), gaussian(r, O * H,
                    1 / Math.sqrt(H)), gaussian(r, O, 0.5));
        }

        void save(Path file) throws IOException {
            Map<String, Tensor> m = new LinkedHashMap<>();
            m.put("W0", new Tensor(new int[] {H, D}, w0).toPrecision(Precision.FP32));
            m.put("b0", new Tensor(new int[] {H}, b0).toPrecision(Precision.FP32));
            m.put("W1", new Tensor(new int[] {O, H}, w1).toPrecision(Precision.FP32));
            m.put("b1", new Tensor(new int[] {O}, b1).toPrecision(Precision.FP32));
            Npz.write(file, m); // float32 like torch's default, and no architecture.json
        }
    }

    private static double[] gaussian(SplittableRandom r, int n, double std) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * std); // exactly representable in the float32 file
        }
        return v;
    }

    @Test
    void weightsWithoutTheirSettingsAreRefusedUntilTheParameterizationIsGiven() throws IOException {
        Path w = dir.resolve("torch.npz");
        TorchMlp.random(1).save(w);
        Cli.randomInputs(dir.resolve("x.npy"), 4, D, 2, false);
        Path out = dir.resolve("k.npy");
        Cli.Result r = Cli.run("kernel", "--x", dir.resolve("x.npy"), "--weights", w, "--out", out);
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("no architecture.json") && r.err().contains("--parameterization standard"),
                r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertFalse(Files.exists(out));
        // the ntk parameterization multiplies biases by σ_b: with biases in the file, σ_b must be said too
        Cli.Result ntk = Cli.run("kernel", "--x", dir.resolve("x.npy"), "--weights", w, "--parameterization", "ntk",
                "--out", out);
        assertEquals(2, ntk.code(), ntk.toString());
        assertTrue(ntk.err().contains("--bstd"), ntk.err());
        assertEquals(0, Cli.run("kernel", "--x", dir.resolve("x.npy"), "--weights", w, "--parameterization", "ntk",
                "--bstd", "0.1", "-q", "--out", out).code());
    }

    @Test
    void pytorchWeightsGiveTheKernelOfTheNetworkPyTorchComputes() throws IOException {
        TorchMlp net = TorchMlp.random(3);
        Path w = dir.resolve("torch.npz");
        net.save(w);
        Matrix x = Cli.randomInputs(dir.resolve("x.npy"), 6, D, 4, false);
        Matrix x2 = Cli.randomInputs(dir.resolve("x2.npy"), 4, D, 5, false);
        Path out = dir.resolve("k.npy");
        Cli.Result r = Cli.run("kernel", "--x", dir.resolve("x.npy"), "--x-test", dir.resolve("x2.npy"), "--weights", w,
                "--parameterization", "standard", "--mode", "full", "--device", "cpu", "--precision", "fp64", "-q",
                "--out", out);
        assertEquals(0, r.code(), r.toString());
        double[] cli = Npy.read(out).doubles();

        // The fp64 reference through the Java API, on the same network built from the same arrays.
        Architecture arch = Architecture.parseWidths(D + "," + H + "," + O).activation(Activation.RELU)
                .parameterization(Parameterization.STANDARD).sigmaB(1.0).build();
        Parameters p = Parameters.of(arch, new double[][] {net.w0().clone(), net.w1().clone()},
                new double[][] {net.b0().clone(), net.b1().clone()});
        Tensor reference;
        try (Ntk ref = Ntk.builder().backend("reference").precision(Precision.FP64).open()) {
            reference = ref.kernel(p, x, x2, NtkMode.FULL);
        }
        Compare.assertClose("ntk kernel --weights (PyTorch layout) vs the reference", cli, reference.doubles(),
                Tolerances.FP64);

        // And by hand, in PyTorch's own terms (f = W1·relu(W0·x + b0) + b1): Θ_ab(x, x') = δ_ab·(h·h' + 1)
        // + Σ_j W1[a,j]·W1[b,j]·r_j·r'_j·(x·x' + 1), r = relu'(W0·x + b0).
        double[] byHand = new double[cli.length];
        for (int i = 0; i < x.rows(); i++) {
            for (int k = 0; k < x2.rows(); k++) {
                double[] h1 = hidden(net, x, i);
                double[] h2 = hidden(net, x2, k);
                double xx = 1;
                for (int c = 0; c < D; c++) {
                    xx += x.get(i, c) * x2.get(k, c);
                }
                for (int a = 0; a < O; a++) {
                    for (int b = 0; b < O; b++) {
                        double v = 0;
                        if (a == b) {
                            v += 1;
                            for (int j = 0; j < H; j++) {
                                v += h1[j] * h2[j];
                            }
                        }
                        for (int j = 0; j < H; j++) {
                            v += net.w1()[a * H + j] * net.w1()[b * H + j] * (h1[j] > 0 ? 1 : 0) * (h2[j] > 0 ? 1 : 0) * xx;
                        }
                        byHand[((i * x2.rows() + k) * O + a) * O + b] = v;
                    }
                }
            }
        }
        Compare.assertClose("ntk kernel --weights (PyTorch layout) vs the closed form", cli, byHand, Tolerances.FP64);
    }

    private static double[] hidden(TorchMlp net, Matrix x, int row) {
        double[] h = new double[H];
        for (int j = 0; j < H; j++) {
            double z = net.b0()[j];
            for (int c = 0; c < D; c++) {
                z += net.w0()[j * D + c] * x.get(row, c);
            }
            h[j] = Math.max(z, 0);
        }
        return h;
    }
}

package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.InputLayout;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.io.Npy;
import org.ntk4j.io.Npz;
import org.ntk4j.io.ParametersIO;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;

/** CNNs through the command line: the layer --arch, image inputs in either layout, weights from PyTorch, refusals. */
class CnnCommandTest {
    /** 5×4×2 images (H ≠ W, two channels) through two convolutions, pooling and gap. */
    private static final String ARCH = "5x4x2:conv(3,3x3,same,1.5,0.1),relu,conv(3,2x3,valid,stride=2),tanh,"
            + "avgpool(2x1,same),gap,dense(2,1.0,0.2)";

    @TempDir
    Path dir;

    /** N images (N, H, W, C), NHWC, Gaussian with a fixed seed. */
    private static Tensor images(int n, int h, int w, int c, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[n * h * w * c];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextGaussian();
        }
        return new Tensor(new int[] {n, h, w, c}, v);
    }

    /** The same images as (N, C, H, W). */
    private static Tensor nchw(Tensor nhwc) {
        int[] s = nhwc.shape();
        Tensor t = Tensor.zeros(s[0], s[3], s[1], s[2]);
        for (int n = 0; n < s[0]; n++) {
            for (int y = 0; y < s[1]; y++) {
                for (int x = 0; x < s[2]; x++) {
                    for (int c = 0; c < s[3]; c++) {
                        t.set(nhwc.get(n, y, x, c), n, c, y, x);
                    }
                }
            }
        }
        return t;
    }

    private static Tensor reference(Parameters p, Matrix x1, Matrix x2, NtkMode mode) {
        try (Ntk ref = Ntk.builder().backend("reference").precision(Precision.FP64).open()) {
            return x2 == null ? ref.kernel(p, x1, mode) : ref.kernel(p, x1, x2, mode);
        }
    }

    @Test
    void aCnnKernelOnTheReferenceInEitherLayout() throws IOException {
        Tensor x = images(4, 5, 4, 2, 1);
        Tensor xt = images(3, 5, 4, 2, 2);
        Npy.write(dir.resolve("x.npy"), x);
        Npy.write(dir.resolve("xt.npy"), xt);
        Npy.write(dir.resolve("x_nchw.npy"), nchw(x));
        Npy.write(dir.resolve("xt_nchw.npy"), nchw(xt));
        Architecture arch = Architecture.parse(ARCH, Parameterization.NTK);
        Parameters p = Parameters.init(arch, 7);
        Matrix x1 = InputLayout.NHWC.examples(x, arch.inputShape());
        Matrix x2 = InputLayout.NHWC.examples(xt, arch.inputShape());
        for (String mode : new String[] {"full", "trace"}) {
            Tensor want = reference(p, x1, x2, NtkMode.parse(mode));
            for (String layout : new String[] {"nhwc", "nchw"}) {
                String suffix = layout.equals("nhwc") ? "" : "_nchw";
                Path out = dir.resolve("k.npy");
                Cli.Result r = Cli.run("kernel", "--x", dir.resolve("x" + suffix + ".npy"), "--x-test",
                        dir.resolve("xt" + suffix + ".npy"), "--layout", layout, "--arch", ARCH, "--seed", 7,
                        "--device", "reference", "--precision", "fp64", "--mode", mode, "--out", out, "-q");
                assertEquals(0, r.code(), r.toString());
                Tensor got = Npy.read(out);
                assertArrayEquals(want.shape(), got.shape(), mode + " " + layout);
                assertArrayEquals(want.doubles(), got.doubles(), 0.0, mode + " " + layout);
            }
        }
        // flattened rows (N, H·W·C) in NHWC order and one-channel (N, H, W) images read too
        Npy.write(dir.resolve("flat.npy"), x.reshape(4, 40));
        Cli.Result r = Cli.run("kernel", "--x", dir.resolve("flat.npy"), "--arch", ARCH, "--seed", 7, "--device",
                "reference", "--precision", "fp64", "--out", dir.resolve("kf.npy"), "-q");
        assertEquals(0, r.code(), r.toString());
        assertArrayEquals(reference(p, x1, null, NtkMode.TRACE).doubles(), Npy.read(dir.resolve("kf.npy")).doubles(),
                0.0);
        Npy.write(dir.resolve("gray.npy"), images(3, 6, 5, 1, 3).reshape(3, 6, 5));
        r = Cli.run("kernel", "--x", dir.resolve("gray.npy"), "--arch", "6x5x1:conv(2,3x3,circular),gap,dense(1)",
                "--device", "reference", "--precision", "fp64", "--out", dir.resolve("kg.npy"), "-q");
        assertEquals(0, r.code(), r.toString());
        assertArrayEquals(new int[] {3, 3}, Npy.read(dir.resolve("kg.npy")).shape());
    }

    @Test
    void pyTorchWeightsLoadWithTheLayerArchAndSavedWeightsCarryIt() throws IOException {
        Architecture arch = Architecture.parse("5x4x2:conv(3,3x3,same,1.5,0.1),relu,flatten,dense(2,1.0,0.2)",
                Parameterization.STANDARD);
        Parameters p = Parameters.init(arch, 5);
        Map<String, Tensor> m = new LinkedHashMap<>(); // as np.savez(W0=conv.weight, b0=conv.bias, W1=…, b1=…)
        m.put("W0", new Tensor(new int[] {3, 2, 3, 3}, p.weights(0)));
        m.put("b0", new Tensor(new int[] {3}, p.bias(0)));
        m.put("W1", new Tensor(new int[] {2, 60}, p.weights(1)));
        m.put("b1", new Tensor(new int[] {2}, p.bias(1)));
        Path torch = dir.resolve("torch.npz");
        Npz.write(torch, m);
        Tensor x = images(3, 5, 4, 2, 4);
        Npy.write(dir.resolve("x.npy"), nchw(x));
        Tensor want = reference(p, InputLayout.NHWC.examples(x, arch.inputShape()), null, NtkMode.FULL);
        Path saved = dir.resolve("saved.npz");
        Cli.Result r = Cli.run("kernel", "--x", dir.resolve("x.npy"), "--layout", "nchw", "--weights", torch, "--arch",
                arch.spec(), "--parameterization", "standard", "--device", "reference", "--precision", "fp64",
                "--mode", "full", "--save-weights", saved, "--out", dir.resolve("k.npy"), "-q");
        assertEquals(0, r.code(), r.toString());
        assertArrayEquals(want.doubles(), Npy.read(dir.resolve("k.npy")).doubles(), 0.0);
        assertEquals(arch, ParametersIO.load(saved).architecture());
        r = Cli.run("kernel", "--x", dir.resolve("x.npy"), "--layout", "nchw", "--weights", saved, "--device",
                "reference", "--precision", "fp64", "--mode", "full", "--out", dir.resolve("k2.npy"), "-q");
        assertEquals(0, r.code(), r.toString());
        assertArrayEquals(want.doubles(), Npy.read(dir.resolve("k2.npy")).doubles(), 0.0);
        // PyTorch's file does not say how its weights are used
        r = Cli.run("kernel", "--x", dir.resolve("x.npy"), "--weights", torch, "--arch", arch.spec(), "--device",
                "reference", "--out", dir.resolve("k3.npy"));
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("has no architecture.json") && r.err().contains("--parameterization"), r.err());
    }

    @Test
    void predictRegressAndTrainTakeACnn() throws IOException {
        Tensor x = images(6, 5, 4, 2, 8);
        Tensor xt = images(3, 5, 4, 2, 9);
        Npy.write(dir.resolve("x.npy"), nchw(x));
        Npy.write(dir.resolve("xt.npy"), nchw(xt));
        Cli.randomInputs(dir.resolve("y.npy"), 6, 2, 10, false);
        Object[] common = {"--x", dir.resolve("x.npy"), "--y", dir.resolve("y.npy"), "--layout", "nchw", "--arch", ARCH,
            "--seed", 3, "--device", "reference", "--precision", "fp64", "-q"};
        // at t = 0 the prediction is the network's output at initialisation on X-test
        Cli.Result r = Cli.run(concat("predict", common, "--x-test", dir.resolve("xt.npy"), "--t", 0, "--lr", 1,
                "--out", dir.resolve("p0.npy")));
        assertEquals(0, r.code(), r.toString());
        Architecture arch = Architecture.parse(ARCH, Parameterization.NTK);
        Matrix f0;
        try (Ntk ref = Ntk.builder().backend("reference").precision(Precision.FP64).open()) {
            f0 = ref.forward(Parameters.init(arch, 3), InputLayout.NHWC.examples(xt, arch.inputShape()));
        }
        assertArrayEquals(f0.data(), Npy.read(dir.resolve("p0.npy")).doubles(), 1e-12);
        // kernel regression two ways: predict at t = ∞ and regress solve the same system
        r = Cli.run(concat("predict", common, "--x-test", dir.resolve("xt.npy"), "--t", "inf", "--ridge", 0.1,
                "--out", dir.resolve("pinf.npy")));
        assertEquals(0, r.code(), r.toString());
        r = Cli.run(concat("regress", common, "--x-test", dir.resolve("xt.npy"), "--ridge", 0.1, "--tol", 1e-12,
                "--out", dir.resolve("preg.npy")));
        assertEquals(0, r.code(), r.toString());
        assertTrue(Npy.read(dir.resolve("preg.npy")).relativeDistance(Npy.read(dir.resolve("pinf.npy"))) < 1e-8);
        r = Cli.run(concat("train", common, "--steps", 2, "--out-dir", dir.resolve("run")));
        assertEquals(0, r.code(), r.toString());
        assertTrue(java.nio.file.Files.exists(dir.resolve("run/train.csv")));
    }

    private static Object[] concat(String command, Object[] common, Object... more) {
        Object[] all = new Object[1 + common.length + more.length];
        all[0] = command;
        System.arraycopy(common, 0, all, 1, common.length);
        System.arraycopy(more, 0, all, 1 + common.length, more.length);
        return all;
    }

    /** One line, exit 2: what is wrong and where. */
    private void refused(String expected, Object... args) {
        Cli.Result r = Cli.run(args);
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains(expected), expected + " not in " + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void mistakesAndBackendsWithoutTheLayersGetOneLine() throws IOException {
        Npy.write(dir.resolve("x.npy"), images(3, 5, 4, 2, 1));
        Path x = dir.resolve("x.npy");
        Path out = dir.resolve("k.npy");
        refused("layer 2 'maxpool(2x2)': unknown layer 'maxpool'; a layer is dense(width[,wStd[,bStd]]), conv(",
                "kernel", "--x", x, "--arch", "5x4x2:conv(3,3x3),relu,maxpool(2x2),gap,dense(2)", "--out", out);
        refused("layer 2 (dense(2,1.0,0.0)): a dense layer reads a flat input, got 3x2x3; put flatten or gap before it",
                "kernel", "--x", x, "--arch", "5x4x2:conv(3,3x3),relu,dense(2)", "--out", out);
        refused("--layout nchw converts inputs as this process reads them; with --spark the executors read rows as"
                + " stored", "kernel", "--x", x, "--arch", ARCH, "--layout", "nchw", "--spark", "local[1]", "--out", out);
        refused("--act, --wstd and --bstd go with --arch D,H,…,O", "kernel", "--x", x, "--arch", ARCH, "--wstd", 2,
                "--out", out);
        refused("does not hold examples of 5x4x3 (expected (N, 5, 4, 3) [nhwc] or (N, 60))", "kernel", "--x", x,
                "--arch", "5x4x3:conv(3,3x3),gap,dense(2)", "--device", "reference", "--out", out);
        // the cpu backend runs the image layers: its kernel is the reference's
        Cli.Result r = Cli.run("kernel", "--x", x, "--arch", ARCH, "--device", "cpu", "--precision", "fp64", "--mode",
                "full", "--out", out, "-q");
        assertEquals(0, r.code(), r.toString());
        Architecture arch = Architecture.parse(ARCH, Parameterization.NTK);
        Tensor want = reference(Parameters.init(arch, 0), InputLayout.NHWC.examples(Npy.read(x),
                arch.inputShape()), null, NtkMode.FULL);
        assertTrue(Npy.read(out).relativeDistance(want) < 1e-10, "cpu vs reference");
        refused("layer 0 (conv(3,3x3,same,stride=1,1.5,0.1)) has no infinite-width map", "kernel", "--x", x, "--arch",
                ARCH, "--impl", "analytic", "--out", out);
    }
}

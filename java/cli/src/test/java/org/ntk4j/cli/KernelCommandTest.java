package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.BackendInfo;
import org.ntk4j.Ntk;
import org.ntk4j.Implementation;
import org.ntk4j.KernelKind;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.analytic.AnalyticKernel;
import org.ntk4j.io.Npy;
import org.ntk4j.io.ParametersIO;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;

class KernelCommandTest {
    @TempDir
    Path dir;

    /** Every backend that can run here, as (CLI flags, library kind). */
    private static List<Object[]> backendsHere() {
        List<Object[]> list = new ArrayList<>();
        list.add(new Object[] {new String[] {"--device", "reference"}, "reference"});
        for (BackendInfo p : Ntk.backends()) {
            if (p.available() && p.autoSelectable()) {
                list.add(new Object[] {new String[] {"--device", p.name()}, p.name()});
            }
        }
        return list;
    }

    private static String[] concat(String[] a, Object... b) {
        String[] r = new String[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        for (int i = 0; i < b.length; i++) {
            r[a.length + i] = String.valueOf(b[i]);
        }
        return r;
    }

    @Test
    void kernelFileEqualsTheLibrarysResultBitForBit() throws IOException {
        Matrix x1 = Cli.randomInputs(dir.resolve("x1.npy"), 13, 5, 1, false);
        Matrix x2 = Cli.randomInputs(dir.resolve("x2.npy"), 7, 5, 2, false);
        Architecture arch = Architecture.parseWidths("5,11,9,3").activation(Activation.ERF).sigmaW(1.3).sigmaB(0.2).build();
        Parameters params = Parameters.init(arch, 17);
        for (Object[] b : backendsHere()) {
            String[] flags = (String[]) b[0];
            for (Precision precision : List.of(Precision.FP32, Precision.FP64)) {
                try (Ntk lib = Ntk.builder().backend((String) b[1]).precision(precision).open()) {
                    for (NtkMode mode : NtkMode.values()) {
                        for (boolean second : List.of(false, true)) {
                            Path out = dir.resolve("k.npy");
                            String[] args = concat(concat(new String[] {"kernel"}, (Object[]) flags), "--x", dir.resolve("x1.npy"), "--arch", "5,11,9,3",
                                    "--seed", 17, "--act", "erf", "--wstd", 1.3, "--bstd", 0.2, "--mode", mode.name(),
                                    "--precision", precision.name(), "--out", out, "-q");
                            if (second) {
                                args = concat(args, "--x-test", dir.resolve("x2.npy"));
                            }
                            Cli.Result r = Cli.run((Object[]) args);
                            assertEquals(0, r.code(), r.toString());
                            assertEquals("", r.err(), "--quiet prints nothing");
                            Tensor got = Npy.read(out);
                            Tensor want = second ? lib.kernel(params, x1, x2, mode) : lib.kernel(params, x1, mode);
                            String what = b[1] + " " + precision + " " + mode + (second ? " x1,x2" : " x1,x1");
                            assertArrayEquals(want.shape(), got.shape(), what);
                            assertEquals(precision == Precision.FP32, got.float32(), what + " dtype");
                            double[] w = want.doubles();
                            if (got.float32()) {
                                w = w.clone();
                                for (int i = 0; i < w.length; i++) {
                                    w[i] = (float) w[i];
                                }
                            }
                            assertArrayEquals(w, got.doubles(), 0.0, what);
                            assertEquals(List.of(), Cli.leftovers(dir));
                        }
                    }
                }
            }
        }
    }

    @Test
    void tiledStreamingEqualsInMemoryForEveryModeAndShape() throws IOException {
        Cli.randomInputs(dir.resolve("x1.npy"), 29, 4, 3, true);
        Cli.randomInputs(dir.resolve("x2.npy"), 17, 4, 4, true);
        for (Object[] b : backendsHere()) {
            String[] flags = (String[]) b[0];
            for (NtkMode mode : NtkMode.values()) {
                for (boolean second : List.of(false, true)) {
                    for (String precision : List.of("fp32", "fp64")) {
                        String[] base = {"kernel", "--x", dir.resolve("x1.npy").toString(), "--arch", "4,6,5,3", "--seed",
                                "5", "--mode", mode.name().toLowerCase(), "--precision", precision};
                        if (second) {
                            base = concat(base, "--x-test", dir.resolve("x2.npy"));
                        }
                        base = concat(base, (Object[]) flags);
                        Path whole = dir.resolve("whole.npy");
                        Path tiled = dir.resolve("tiled.npy");
                        Cli.Result r1 = Cli.run((Object[]) concat(base, "--out", whole));
                        assertEquals(0, r1.code(), r1.toString());
                        assertFalse(r1.err().contains("tiles"), "small kernels are computed in one call");
                        Cli.Result r2 = Cli.run((Object[]) concat(base, "--out", tiled, "--memory", "48k"));
                        assertEquals(0, r2.code(), r2.toString());
                        assertTrue(r2.err().contains("tiles of"), "tiny budget must tile: " + r2.err());
                        String what = b[1] + " " + mode + " " + precision + (second ? " x1,x2" : " x1,x1");
                        if (b[1].equals("reference")) {
                            // Per-pair arithmetic whatever the block: tiles must reproduce every bit.
                            assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(tiled), what);
                        } else {
                            // BLAS-blocked backends round differently for other block shapes; same values otherwise.
                            Tensor w = Npy.read(whole);
                            Tensor t = Npy.read(tiled);
                            assertArrayEquals(w.shape(), t.shape(), what);
                            assertEquals(w.float32(), t.float32(), what);
                            assertTrue(relativeError(t.doubles(), w.doubles()) <= (precision.equals("fp32") ? 1e-5 : 1e-12),
                                    what + ": relative error " + relativeError(t.doubles(), w.doubles()));
                        }
                        if (!second) {
                            assertSymmetric(Npy.read(tiled), what);
                        }
                    }
                }
            }
        }
    }

    @Test
    void analyticImplementationIsTheInfiniteWidthKernelAndTilesTheSame() throws IOException {
        Matrix x1 = Cli.randomInputs(dir.resolve("x1.npy"), 23, 4, 8, false);
        Matrix x2 = Cli.randomInputs(dir.resolve("x2.npy"), 9, 4, 9, false);
        Architecture arch = Architecture.parseWidths("4,1,1,3").activation(Activation.ERF).sigmaW(1.5).sigmaB(0.1).build();
        AnalyticKernel lib = AnalyticKernel.of(arch);
        for (NtkMode mode : NtkMode.values()) {
            for (boolean second : List.of(false, true)) {
                String[] base = {"kernel", "--x", dir.resolve("x1.npy").toString(), "--arch", "4,1,1,3", "--act", "erf",
                        "--wstd", "1.5", "--bstd", "0.1", "--impl", "analytic", "--precision", "fp64", "--mode",
                        mode.name()};
                if (second) {
                    base = concat(base, "--x-test", dir.resolve("x2.npy"));
                }
                Cli.Result r = Cli.run((Object[]) concat(base, "--out", dir.resolve("a.npy"), "-q"));
                assertEquals(0, r.code(), r.toString());
                Tensor got = Npy.read(dir.resolve("a.npy"));
                Tensor want = second ? lib.ntk(x1, x2, mode) : lib.ntk(x1, mode);
                assertArrayEquals(want.shape(), got.shape());
                assertArrayEquals(want.doubles(), got.doubles(), 0.0, mode + (second ? " x1,x2" : " x1,x1"));
                Cli.Result t = Cli.run((Object[]) concat(base, "--out", dir.resolve("t.npy"), "--memory", "10k"));
                assertEquals(0, t.code(), t.toString());
                assertTrue(t.err().contains("tiles of"), t.err());
                assertArrayEquals(Files.readAllBytes(dir.resolve("a.npy")), Files.readAllBytes(dir.resolve("t.npy")),
                        "analytic tiled " + mode + (second ? " x1,x2" : " x1,x1"));
            }
        }
    }

    @Test
    void nngpKernelIsTheOutputCovarianceEmpiricalTiledAndInfiniteWidth() throws IOException {
        Matrix x1 = Cli.randomInputs(dir.resolve("x1.npy"), 19, 4, 8, false);
        Matrix x2 = Cli.randomInputs(dir.resolve("x2.npy"), 7, 4, 9, false);
        Architecture arch = Architecture.parseWidths("4,9,3").activation(Activation.ERF).sigmaW(1.5).sigmaB(0.1).build();
        Parameters p = Parameters.init(arch, 3);
        try (Ntk ref = Ntk.builder().backend("reference").open()) {
            for (NtkMode mode : NtkMode.values()) {
                for (String impl : List.of("reference", "analytic")) {
                    String[] base = {"kernel", "--x", dir.resolve("x1.npy").toString(), "--x-test",
                            dir.resolve("x2.npy").toString(), "--arch", "4,9,3", "--act", "erf", "--wstd", "1.5",
                            "--bstd", "0.1", "--seed", "3", "--kind", "nngp", "--precision", "fp64", "--mode",
                            mode.name()};
                    base = impl.equals("reference") ? concat(base, "--device", "reference")
                            : concat(base, "--impl", "analytic");
                    Cli.Result r = Cli.run((Object[]) concat(base, "--out", dir.resolve("s.npy")));
                    assertEquals(0, r.code(), r.toString());
                    assertTrue(r.err().contains("NNGP"), r.err());
                    Tensor want = impl.equals("reference") ? ref.nngp(p, x1, x2, mode)
                            : AnalyticKernel.of(arch).nngp(x1, x2, mode);
                    Tensor got = Npy.read(dir.resolve("s.npy"));
                    assertArrayEquals(want.shape(), got.shape());
                    assertArrayEquals(want.doubles(), got.doubles(), 0.0, impl + " " + mode);
                    Cli.Result t = Cli.run((Object[]) concat(base, "--out", dir.resolve("t.npy"), "--memory", "10k"));
                    assertEquals(0, t.code(), t.toString());
                    assertTrue(t.err().contains("tiles of"), t.err());
                    assertArrayEquals(Files.readAllBytes(dir.resolve("s.npy")), Files.readAllBytes(dir.resolve("t.npy")),
                            impl + " tiled " + mode);
                }
            }
        }
        Cli.Result bad = Cli.run("kernel", "--x", dir.resolve("x1.npy"), "--arch", "4,9,3", "--kind", "ntpg",
                "--out", dir.resolve("u.npy"));
        assertEquals(2, bad.code(), bad.toString());
        assertTrue(bad.err().contains("ntk or nngp"), bad.err());
    }

    static double relativeError(double[] got, double[] want) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < want.length; i++) {
            num += (got[i] - want[i]) * (got[i] - want[i]);
            den += want[i] * want[i];
        }
        return Math.sqrt(num / den);
    }

    /** Θ_ab(x_i, x_j) = Θ_ba(x_j, x_i) exactly, as a kernel of X with itself must be. */
    static void assertSymmetric(Tensor k, String what) {
        int[] s = k.shape();
        int n = s[0];
        int v = k.doubles().length / (n * n);
        int o = s.length == 4 ? s[2] : 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                for (int a = 0; a < v; a++) {
                    int mirrored = o > 0 ? (a % o) * o + a / o : a;
                    assertEquals(k.doubles()[(i * n + j) * v + a], k.doubles()[(j * n + i) * v + mirrored], 0.0,
                            what + " symmetry at " + i + "," + j);
                }
            }
        }
    }

    @Test
    void paramsFileGivesTheSameKernelAsTheArchitectureItWasSavedFrom() throws IOException {
        Cli.randomInputs(dir.resolve("x.npy"), 9, 3, 7, false);
        Path saved = dir.resolve("p.npz");
        Cli.Result r1 = Cli.run("kernel", "--x", dir.resolve("x.npy"), "--arch", "3,8,2", "--seed", 4, "--bstd", "none",
                "--act", "tanh", "--parameterization", "standard", "--device", "reference", "--precision", "fp64", "--out",
                dir.resolve("a.npy"), "--save-weights", saved);
        assertEquals(0, r1.code(), r1.toString());
        Parameters p = ParametersIO.load(saved, ParametersIO.MlpUse.of(Activation.TANH, Parameterization.STANDARD));
        assertFalse(p.architecture().bias());
        assertArrayEquals(Parameters.init(Architecture.parseWidths("3,8,2").activation(Activation.TANH)
                .parameterization(Parameterization.STANDARD).noBias().build(), 4).toFlat(), p.toFlat(), 0.0);
        Cli.Result r2 = Cli.run("kernel", "--x", dir.resolve("x.npy"), "--weights", saved, "--act", "tanh", "--parameterization",
                "standard", "--device", "reference", "--precision", "fp64", "--out", dir.resolve("b.npy"));
        assertEquals(0, r2.code(), r2.toString());
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.npy")), Files.readAllBytes(dir.resolve("b.npy")));
        Cli.Result r3 = Cli.run("kernel", "--x", dir.resolve("x.npy"), "--weights", saved, "--bstd", "0.5",
                "--device", "reference", "--out", dir.resolve("c.npy"));
        assertEquals(2, r3.code());
        assertTrue(r3.err().contains("has no biases"), r3.err());
    }

    @Test
    void tilePlansStayWithinTheBudget() {
        for (boolean symmetric : List.of(true, false)) {
            for (int v : new int[] {1, 10, 100}) {
                long budget = 64L << 20;
                long perExample = 40_000;
                TiledKernel.Plan p = TiledKernel.plan(100_000, symmetric ? 100_000 : 3_000, symmetric, v, perExample,
                        48, budget, 1 << 20);
                assertFalse(p.inMemory());
                int t1 = p.layout().rows();
                int t2 = p.layout().cols();
                long used = (long) t1 * t2 * (v * 16 + 48) + (long) (t1 + t2) * perExample
                        + p.windowBytes() + (1 << 20);
                assertTrue(used <= budget, "plan " + p + " uses " + used);
                assertTrue(t1 >= 1 && t2 >= 1);
                assertTrue(!symmetric || t1 == t2);
            }
        }
        TiledKernel.Plan small = TiledKernel.plan(100, 100, true, 1, 1000, 16, 64L << 20, 0);
        assertTrue(small.inMemory());
        assertEquals(1, small.tileCount());
    }

    @Test
    void theJacobianContractionIsPlannedLikeTheStructuredPathExceptOnTheReference() {
        // The cpu and cuda backends build the Jacobian in column chunks inside their own budget: a peer-sized kernel
        // (N = 512, 64-512-512-10, P = 301,066) must be one call at the default 2 GiB, not hundreds of tiles.
        Parameters p = Parameters.init(Architecture.builder(64).hidden(512, 512).output(10).build(), 42);
        long budget = 2L << 30;
        long fixed = 2L * 8 * (512 * 64 + p.size());
        try (KernelSource jc = KernelSource.empirical(Ntk.builder().backend("cpu").open(), p,
                KernelKind.NTK, Implementation.JACOBIAN_CONTRACTION, false);
             KernelSource structured = KernelSource.empirical(Ntk.builder().backend("cpu").open(), p,
                     KernelKind.NTK, Implementation.STRUCTURED, false);
             KernelSource reference = KernelSource.empirical(Ntk.builder().backend("reference").open(), p,
                     KernelKind.NTK, Implementation.JACOBIAN_CONTRACTION, true)) {
            assertEquals(structured.workingBytesPerExample(), jc.workingBytesPerExample());
            assertTrue(TiledKernel.plan(512, 512, true, 1, jc.workingBytesPerExample(), jc.workingBytesPerPair(),
                    budget, fixed).inMemory());
            // the reference really holds O·P values per example: 512 of them do not fit 2 GiB
            assertTrue(reference.workingBytesPerExample() >= 10L * p.size() * 8);
            assertFalse(TiledKernel.plan(512, 512, true, 1, reference.workingBytesPerExample(),
                    reference.workingBytesPerPair(), budget, fixed).inMemory());
        }
    }

    @Test
    void anNpzNameIsRefusedRatherThanFilledWithNpyBytes() throws IOException {
        Path x = dir.resolve("x.npy");
        Cli.randomInputs(x, 4, 3, 1, false);
        Path y = dir.resolve("y.npy");
        Cli.randomInputs(y, 4, 2, 2, false);
        for (Cli.Result r : List.of(
                Cli.run("kernel", "--x", x, "--arch", "3,5,2", "--out", dir.resolve("k.npz")),
                Cli.run("predict", "--x", x, "--y", y, "--x-test", x, "--arch", "3,5,2", "--out", dir.resolve("K.NPZ")),
                Cli.run("regress", "--x", x, "--y", y, "--x-test", x, "--arch", "3,5,2", "--out", dir.resolve("p.npz")))) {
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().contains("not an .npz archive"), r.err());
        }
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.toString().toLowerCase().endsWith(".npz")), "nothing written");
        }
    }

    @Test
    void theSummarySaysWhatTheFileHolds() throws IOException {
        Path x = dir.resolve("x.npy");
        Cli.randomInputs(x, 4, 3, 1, false);
        Cli.Result f32 = Cli.run("kernel", "--x", x, "--arch", "3,5,2", "--impl", "analytic", "--out", dir.resolve("a.npy"));
        assertEquals(0, f32.code(), f32.toString());
        assertTrue(Npy.read(dir.resolve("a.npy")).float32());
        assertTrue(f32.err().contains("float32") && !f32.err().contains(", fp64") && f32.err().contains(
                "computed in fp64, rounded to float32"), f32.err());
        Cli.Result f64 = Cli.run("kernel", "--x", x, "--arch", "3,5,2", "--impl", "analytic", "--precision", "fp64",
                "--out", dir.resolve("b.npy"));
        assertEquals(0, f64.code(), f64.toString());
        assertFalse(Npy.read(dir.resolve("b.npy")).float32());
        assertTrue(f64.err().contains("float64") && !f64.err().contains("float32"), f64.err());
    }
}

package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.Matrix;
import org.ntk4j.Tensor;
import org.ntk4j.io.Npy;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.TinyDisk;

/** {@code ntk kernel --spark} writes the file the single-process command writes; {@code ntk regress} on both paths. */
class SparkCommandsTest {
    @TempDir
    Path dir;

    @Test
    void kernelOnSparkWritesTheSameFileAsWithoutIt() throws IOException {
        Path x = dir.resolve("x.npy");
        Cli.randomInputs(x, 29, 5, 1, false);
        Object[] model = {"--arch", "5,13,3", "--seed", "2", "--act", "erf", "--mode", "full", "--precision", "fp64",
                "--device", "cpu", "--impl", "structured"};
        Cli.Result plain = Cli.run(concat(new Object[] {"kernel", "--x", x, "--out", dir.resolve("k.npy")}, model));
        assertEquals(0, plain.code(), plain.toString());
        Cli.Result spark = Cli.run(concat(new Object[] {"kernel", "--x", x, "--out", dir.resolve("ks.npy"), "--spark",
                "local[2]", "--tile", "8"}, model));
        assertEquals(0, spark.code(), spark.toString());
        assertTrue(spark.err().contains("10 tiles of 8 rows (10 computed"), spark.err());
        Tensor a = Npy.read(dir.resolve("k.npy"));
        Tensor b = Npy.read(dir.resolve("ks.npy"));
        assertArrayEquals(a.shape(), b.shape());
        Compare.assertClose("kernel --spark", b.doubles(), a.doubles(), 1e-12);
        assertFalse(Files.exists(dir.resolve("ks.npy.tiles")), "the default tile folder is removed once the file is written");
    }

    /**
     * A kept tile directory whose tiles were tampered with (a garbage header of the right size, a directory in a
     * tile's place, two tiles swapped) is repaired by the rerun: the bad tiles are recomputed, the file is the same
     * bit for bit, exit 0. A tile directory that is no path or URI is one line, exit 2, before Spark starts.
     */
    @Test
    void aRerunRecomputesTamperedTilesAndABadTilesUriIsAUsageError() throws IOException {
        Path x = dir.resolve("x.npy");
        Cli.randomInputs(x, 20, 5, 1, false);
        Path tiles = dir.resolve("tiles");
        Object[] run = {"kernel", "--x", x, "--arch", "5,9,2", "--seed", "3", "--precision", "fp64", "--device", "cpu",
            "--spark", "local[2]", "--tile", "6", "--tiles", tiles};
        Cli.Result first = Cli.run(concat(run, new Object[] {"--out", dir.resolve("a.npy")}));
        assertEquals(0, first.code(), first.toString());
        byte[] header = Files.readAllBytes(tiles.resolve("tile-0-1.npy"));
        java.util.Arrays.fill(header, 0, 30, (byte) '#');
        Files.write(tiles.resolve("tile-0-1.npy"), header);
        Files.delete(tiles.resolve("tile-1-1.npy"));
        Files.createDirectory(tiles.resolve("tile-1-1.npy"));
        Files.move(tiles.resolve("tile-0-2.npy"), tiles.resolve("swap"));
        Files.move(tiles.resolve("tile-1-2.npy"), tiles.resolve("tile-0-2.npy"));
        Files.move(tiles.resolve("swap"), tiles.resolve("tile-1-2.npy"));
        Cli.Result again = Cli.run(concat(run, new Object[] {"--out", dir.resolve("b.npy")}));
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.err().contains("4 corrupt and recomputed"), again.err());
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.npy")), Files.readAllBytes(dir.resolve("b.npy")));

        Cli.Result bad = Cli.run("kernel", "--x", x, "--arch", "5,9,2", "--spark", "local[2]", "--tiles", "a:b",
                "--out", dir.resolve("c.npy"));
        assertEquals(2, bad.code(), bad.toString());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().contains("'a:b' is not a valid path or URI"), bad.err());
        assertFalse(Files.exists(dir.resolve("c.npy")));
    }

    @Test
    void regressAgreesInProcessOnSparkAndWithPredict() throws IOException {
        Path x = dir.resolve("x.npy");
        Path xt = dir.resolve("xt.npy");
        Path y = dir.resolve("y.npy");
        Cli.randomInputs(x, 40, 4, 3, false);
        Cli.randomInputs(xt, 11, 4, 4, false);
        Cli.randomInputs(y, 40, 2, 5, false);
        Object[] common = {"--x", x, "--y", y, "--x-test", xt, "--arch", "4,1,2", "--impl", "analytic", "--precision",
                "fp64", "--ridge", "0.01", "--tol", "1e-12"};
        Cli.Result local = Cli.run(concat(new Object[] {"regress", "--out", dir.resolve("p.npy")}, common));
        assertEquals(0, local.code(), local.toString());
        Cli.Result spark = Cli.run(concat(new Object[] {"regress", "--out", dir.resolve("ps.npy"), "--spark", "local[2]",
                "--tile", "15", "--recompute-tiles"}, common));
        assertEquals(0, spark.code(), spark.toString());
        Cli.Result predict = Cli.run("predict", "--x", x, "--y", y, "--x-test", xt, "--arch", "4,1,2", "--impl", "analytic",
                "--precision", "fp64", "--t", "inf", "--ridge", "0.01", "--out", dir.resolve("pp.npy"));
        assertEquals(0, predict.code(), predict.toString());
        Matrix expected = Npy.read(dir.resolve("pp.npy")).asMatrix();
        Compare.assertClose("regress in-process vs predict --t inf", Npy.read(dir.resolve("p.npy")).asMatrix(), expected,
                1e-8);
        Compare.assertClose("regress --spark vs predict --t inf", Npy.read(dir.resolve("ps.npy")).asMatrix(), expected,
                1e-8);
        assertTrue(spark.err().contains("PCG (nystrom)"), spark.err());
    }

    @Test
    void regressIsPredictAtInfinityOnTheEmpiricalKernelToo() throws IOException {
        // The empirical kernel's model starts from f₀, the network's outputs at initialisation: both commands fit
        // y − f₀ and add f₀ back (regress once left f₀ out and differed from predict by up to 0.42).
        Path x = dir.resolve("x.npy");
        Path xt = dir.resolve("xt.npy");
        Path y = dir.resolve("y.npy");
        Cli.randomInputs(x, 24, 4, 3, false);
        Cli.randomInputs(xt, 9, 4, 4, false);
        Cli.randomInputs(y, 24, 2, 5, false);
        for (String mode : new String[] {"trace", "full"}) {
            Object[] common = {"--x", x, "--y", y, "--x-test", xt, "--y-test", xt.resolveSibling("yt.npy"), "--arch",
                    "4,64,2", "--seed", 7, "--precision", "fp64", "--ridge", "1e-6", "--mode", mode};
            Cli.randomInputs(dir.resolve("yt.npy"), 9, 2, 6, false);
            Cli.Result predict = Cli.run(concat(new Object[] {"predict", "--t", "inf", "--out", dir.resolve("pp.npy")},
                    common));
            assertEquals(0, predict.code(), predict.toString());
            Cli.Result local = Cli.run(concat(new Object[] {"regress", "--tol", "1e-13", "--max-iter", "5000", "--out",
                    dir.resolve("p.npy")}, common));
            assertEquals(0, local.code(), local.toString());
            Matrix expected = Npy.read(dir.resolve("pp.npy")).asMatrix();
            Compare.assertClose(mode + ": regress vs predict --t inf", Npy.read(dir.resolve("p.npy")).asMatrix(),
                    expected, 1e-8);
            // the same metric under the same name, with the same value
            assertEquals(score(predict.err()), score(local.err()), predict.err() + local.err());
            assertTrue(score(local.err()).contains("accuracy"), local.err());
            if (mode.equals("trace")) {
                Cli.Result spark = Cli.run(concat(new Object[] {"regress", "--tol", "1e-13", "--max-iter", "5000",
                        "--out", dir.resolve("ps.npy"), "--spark", "local[2]", "--tile", "10"}, common));
                assertEquals(0, spark.code(), spark.toString());
                Compare.assertClose("regress --spark vs predict --t inf", Npy.read(dir.resolve("ps.npy")).asMatrix(),
                        expected, 1e-8);
            }
        }
    }

    /** "test RMSE …, accuracy …%" from a summary line. */
    private static String score(String err) {
        int at = err.lastIndexOf("test RMSE");
        return at < 0 ? "" : err.substring(at).strip();
    }

    @Test
    void badFlagsGiveOneLine() throws IOException {
        Path x = dir.resolve("x.npy");
        Cli.randomInputs(x, 5, 4, 3, false);
        Cli.Result r = Cli.run("regress", "--x", x, "--y", x, "--x-test", x, "--arch", "4,3,2", "--ridge", "-1", "--out",
                dir.resolve("p.npy"));
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--ridge must be ≥ 0"), r.err());
        Cli.Result t = Cli.run("kernel", "--x", x, "--arch", "4,3,2", "--tile", "3", "--out", dir.resolve("k.npy"));
        assertEquals(2, t.code(), t.toString());
        assertTrue(t.err().contains("--tile applies only with --spark"), t.err());
        Cli.Result dims = Cli.run("kernel", "--x", x, "--arch", "4,3,2", "--out", dir.resolve("k.npy"), "--spark", "local[2]",
                "--x-test", dir.resolve("missing.npy"));
        assertEquals(2, dims.code(), dims.toString());
    }

    @Test
    void tinyTargetsAreSolvedOnSparkAsInProcess() throws IOException {
        Path x = dir.resolve("x.npy");
        Path xt = dir.resolve("xt.npy");
        Cli.randomInputs(x, 20, 4, 3, false);
        Cli.randomInputs(xt, 7, 4, 4, false);
        Matrix y = Cli.randomInputs(dir.resolve("y1.npy"), 20, 2, 5, false);
        double[] tiny = y.data().clone();
        for (int i = 0; i < tiny.length; i++) {
            tiny[i] *= 1e-170; // ‖y‖² underflows to 0: a stopping test on it would stop at once with α = 0
        }
        Path yTiny = dir.resolve("y.npy");
        Npy.write(yTiny, new org.ntk4j.Tensor(new int[] {20, 2}, tiny));
        Object[] common = {"regress", "--x", x, "--y", yTiny, "--x-test", xt, "--arch", "4,1,2", "--impl", "analytic",
            "--precision", "fp64", "--ridge", "0.01", "--tol", "1e-10", "-q"};
        assertEquals(0, Cli.run(concat(common, new Object[] {"--out", dir.resolve("p.npy")})).code());
        Cli.Result spark = Cli.run(concat(common, new Object[] {"--out", dir.resolve("ps.npy"), "--spark", "local[2]",
            "--tile", "8"}));
        assertEquals(0, spark.code(), spark.toString());
        double[] local = Npy.read(dir.resolve("p.npy")).toDoubleArray();
        double[] onSpark = Npy.read(dir.resolve("ps.npy")).toDoubleArray();
        for (int i = 0; i < local.length; i++) {
            assertTrue(Math.abs(local[i]) > 1e-175, "not the zeros of a solver that stopped at once: " + local[i]);
            assertEquals(local[i], onSpark[i], 1e-8 * Math.abs(local[i]));
        }
    }

    @Test
    void sparkMisuseIsOneLineAndAnUnreachableMasterFailsInSeconds() throws IOException {
        Path x = dir.resolve("x.npy");
        Cli.randomInputs(x, 6, 4, 3, false);
        Path out = dir.resolve("k.npy");
        String[][] masters = {{"local[0]", "no worker threads"}, {"bogus", "not a Spark master"},
            {"yarn", "HADOOP_CONF_DIR"}, {"", "needs a master"}, {"spark://127.0.0.1:9", "cannot reach"}};
        for (String[] m : masters) {
            long t0 = System.nanoTime();
            for (String command : new String[] {"kernel", "regress"}) {
                Object[] args = command.equals("kernel")
                        ? new Object[] {"kernel", "--x", x, "--arch", "4,3,2", "--out", out, "--spark=" + m[0]}
                        : new Object[] {"regress", "--x", x, "--y", x, "--x-test", x, "--arch", "4,3,4", "--ridge", 1,
                            "--out", out, "--spark=" + m[0]};
                Cli.Result r = Cli.run(args);
                assertEquals(2, r.code(), r.toString());
                assertEquals(1, r.err().strip().lines().count(), r.err());
                assertTrue(r.err().contains(m[1]), r.err());
            }
            assertTrue(System.nanoTime() - t0 < 20e9, m[0] + " took " + (System.nanoTime() - t0) / 1e9 + " s");
        }
        assertFalse(Files.exists(out));
    }

    /**
     * A disk that fills while Spark writes the tiles: one line naming it, exit 2, and neither the default tile folder
     * ({@code OUT.tiles}) nor the output's temporary file left on the full disk.
     */
    @Test
    void aFullDiskWhileWritingTilesIsOneLineAndLeavesNothing() throws Exception {
        Path x = dir.resolve("x.npy");
        Cli.randomInputs(x, 200, 4, 3, false);
        try (TinyDisk disk = TinyDisk.mount(dir.resolve("disk"), "1m")) {
            disk.fill(64 << 10); // the upper triangle of 200 × 200 fp64 tiles is ≈ 170 KB
            Path out = disk.dir.resolve("k.npy");
            Cli.Result r = Cli.run("kernel", "--x", x, "--arch", "4,5,1", "--precision", "fp64", "-q", "--out", out,
                    "--spark", "local[2]", "--tile", "50");
            assertEquals(2, r.code(), r.toString());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains("writing the tiles to " + out + ".tiles: No space left on device"), r.err());
            try (var s = Files.list(disk.dir)) {
                assertEquals(java.util.List.of("filler"), s.map(p -> p.getFileName().toString()).sorted().toList(),
                        "nothing left on the full disk");
            }
        }
    }

    @Test
    void whatExecutorsFindWrongIsOneLineAndAnOverflowIsNeverWritten() throws IOException {
        Path x = dir.resolve("x.npy");
        Matrix m = Cli.randomInputs(x, 6, 4, 3, false);
        double[] nan = m.data().clone();
        nan[5] = Double.NaN;
        Path bad = dir.resolve("nan.npy");
        Npy.write(bad, new org.ntk4j.Tensor(new int[] {6, 4}, nan));
        Path out = dir.resolve("k.npy");
        Cli.Result r = Cli.run("kernel", "--x", bad, "--arch", "4,3,2", "--out", out, "--spark", "local[1]");
        assertEquals(2, r.code(), r.toString());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("nan.npy: contains NaN at row 1, column 1"), r.err()); // not an "overflow"
        // inputs whose squared norms overflow even fp64 (|x|² ≈ 1e320): named as such before Spark starts, in
        // either precision, and fp64 is not offered as the cure
        Path big = scaled(m, 1e160, "big.npy");
        Path out2 = dir.resolve("k2.npy");
        for (String precision : new String[] {"fp32", "fp64"}) {
            r = Cli.run("kernel", "--x", big, "--arch", "4,3,2", "--precision", precision, "-q", "--out", out2,
                    "--spark", "local[1]");
            assertEquals(2, r.code(), r.toString());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains("squared norm") && r.err().contains("rescale the inputs"), r.err());
            assertFalse(r.err().contains("fp64 or"), r.err());
        }
        // inputs that fit, a kernel that does not (σ_w⁴·|x|² ≈ 1e40 > fp32's 3.4e38): found in the tiles
        Path large = scaled(m, 1e14, "large.npy");
        r = Cli.run("kernel", "--x", large, "--arch", "4,3,2", "--wstd", "1000", "-q", "--out", out2, "--spark",
                "local[1]");
        assertEquals(2, r.code(), r.toString());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("overflowed"), r.err());
        assertFalse(Files.exists(out) || Files.exists(out2));
    }

    private Path scaled(Matrix m, double factor, String name) throws IOException {
        double[] v = m.data().clone();
        for (int i = 0; i < v.length; i++) {
            v[i] *= factor;
        }
        Path p = dir.resolve(name);
        Npy.write(p, new org.ntk4j.Tensor(new int[] {m.rows(), m.cols()}, v));
        return p;
    }

    private static Object[] concat(Object[] a, Object[] b) {
        Object[] r = new Object[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}

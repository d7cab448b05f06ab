package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.BackendInfo;
import org.ntk4j.Ntk;
import org.ntk4j.io.Npy;

/** The mistakes users make get one line naming the problem, exit code 2, and no stack trace. */
class ErrorMessagesTest {
    @TempDir
    Path dir;
    Path x;

    @BeforeEach
    void inputs() throws IOException {
        x = dir.resolve("x.npy");
        Cli.randomInputs(x, 6, 4, 1, false);
    }

    private void assertUserError(Cli.Result r, String... fragments) throws IOException {
        assertEquals(2, r.code(), r.toString());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace: " + err);
        for (String f : fragments) {
            assertTrue(err.contains(f), "'" + f + "' missing in: " + err);
        }
        assertFalse(Files.exists(dir.resolve("k.npy")), "no output on error");
        assertEquals(java.util.List.of(), Cli.leftovers(dir), "no unfinished output left on error");
    }

    @Test
    void missingInputFile() throws IOException {
        assertUserError(Cli.run("kernel", "--x", dir.resolve("nope.npy"), "--arch", "4,5,2", "--out", dir.resolve("k.npy")),
                "file not found", "nope.npy");
    }

    /**
     * The CLI is built without Spark (ntk4j-cli-spark adds it, for --spark only): here, where neither is on the class
     * path, a command run with --spark says so and how to get it, in one line, after the flags' own checks.
     */
    @Test
    void sparkWithoutItsModuleSaysHowToGetIt() throws IOException {
        for (String absent : new String[] {"org.apache.spark.sql.SparkSession", "org.ntk4j.spark.DistributedKernel"}) {
            org.junit.jupiter.api.Assertions.assertThrows(ClassNotFoundException.class, () -> Class.forName(absent),
                    "the CLI's class path holds " + absent);
        }
        Path y = dir.resolve("y.npy");
        Cli.randomInputs(y, 6, 2, 2, false);
        assertUserError(Cli.run("kernel", "--x", x, "--arch", "4,5,2", "--out", dir.resolve("k.npy"), "--spark",
                "local[1]"), "--spark needs ntk4j-cli-spark", "./ntk builds it");
        assertUserError(Cli.run("kernel", "--x", x, "--arch", "4,5,2", "--out", dir.resolve("k.npy"), "--spark",
                "local[1]", "--tiles", dir.resolve("tiles")), "--spark needs ntk4j-cli-spark");
        assertUserError(Cli.run("regress", "--x", x, "--y", y, "--x-test", x, "--arch", "4,1,2", "--impl", "analytic",
                "--ridge", "1", "--out", dir.resolve("k.npy"), "--spark", "local[1]"), "--spark needs ntk4j-cli-spark");
        assertUserError(Cli.run("kernel", "--x", x, "--arch", "4,5,2", "--out", dir.resolve("k.npy"), "--spark",
                "bogus"), "not a Spark master");
        assertFalse(Files.exists(dir.resolve("tiles")));
    }

    @Test
    void numbersWithJavaTypeSuffixesAndFileNamesEndingInASlashAreTypos() throws IOException {
        Path y = dir.resolve("y.npy");
        Cli.randomInputs(y, 6, 2, 2, false);
        Object[] regress = {"regress", "--x", x, "--y", y, "--x-test", x, "--arch", "4,1,2", "--impl", "analytic",
            "--out", dir.resolve("k.npy")};
        assertUserError(Cli.run(cat(regress, "--ridge", "1e-3d")), "1e-3d", "not a number");
        assertUserError(Cli.run(cat(regress, "--ridge", "0x1p-3")), "not a number");
        assertUserError(Cli.run("predict", "--x", x, "--y", y, "--x-test", x, "--arch", "4,5,2", "--t", "10d",
                "--out", dir.resolve("k.npy")), "--t", "10d");
        assertUserError(Cli.run("kernel", "--x", x, "--arch", "4,5,2", "--memory", "2fg", "--out", dir.resolve("k.npy")),
                "2fg");
        assertUserError(Cli.run("kernel", "--x", x, "--arch", "4,5,2", "--out", dir + "/k.npy/"), "k.npy/", "folder");
        assertUserError(Cli.run("kernel", "--x", x + "/", "--arch", "4,5,2", "--out", dir.resolve("k.npy")), "folder");
        // A name whose bytes are not UTF-8 reaches Java with U+FFFD in their place: another name; refused.
        assertUserError(Cli.run("kernel", "--x", x, "--arch", "4,5,2", "--out", dir + "/caf\uFFFD.npy"), "UTF-8");
        assertEquals(java.util.List.of("x.npy", "y.npy"), names(dir));
        assertEquals(0, Cli.run(cat(regress, "--ridge", "1E-3", "-q")).code());
        assertEquals(0, Cli.run("train", "--x", x, "--y", y, "--arch", "4,5,2", "--steps", 1, "-q", "--out-dir",
                dir + "/run/").code());
        assertTrue(Files.exists(dir.resolve("run/train.csv")));
    }

    private static Object[] cat(Object[] a, Object... b) {
        Object[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static java.util.List<String> names(Path d) throws IOException {
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void notAnNpyFile() throws IOException {
        Path bad = dir.resolve("bad.npy");
        Files.writeString(bad, "hello");
        assertUserError(Cli.run("kernel", "--x", bad, "--arch", "4,5,2", "--out", dir.resolve("k.npy")),
                "bad.npy", "not a .npy file");
    }

    @Test
    void wrongShape() throws IOException {
        Path cube = dir.resolve("cube.npy");
        Npy.write(cube, new Tensor(new int[] {2, 2, 4}, new double[16]));
        assertUserError(Cli.run("kernel", "--x", cube, "--arch", "4,5,2", "--out", dir.resolve("k.npy")),
                "cube.npy", "2-D", "[2, 2, 4]");
    }

    @Test
    void inputDimensionNotMatchingTheModel() throws IOException {
        assertUserError(Cli.run("kernel", "--x", x, "--arch", "7,5,2", "--out", dir.resolve("k.npy")),
                "x.npy", "4 features", "input dimension is 7");
    }

    @Test
    void inputDimensionNotMatchingTheParamsFile() throws IOException {
        Path p = dir.resolve("p.npz");
        assertEquals(0, Cli.run("kernel", "--x", x, "--arch", "4,3,2", "--device", "reference", "--out",
                dir.resolve("ok.npy"), "--save-weights", p, "-q").code());
        Path x5 = dir.resolve("x5.npy");
        try {
            Cli.randomInputs(x5, 3, 5, 2, false);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertUserError(Cli.run("kernel", "--x", x5, "--weights", p, "--out", dir.resolve("k.npy")),
                "x5.npy", "5 features", "input dimension is 4");
    }

    @Test
    void nanInInputs() throws IOException {
        double[] v = new double[12];
        v[7] = Double.NaN;
        Path nan = dir.resolve("nan.npy");
        Npy.write(nan, new Tensor(new int[] {3, 4}, v).toPrecision(Precision.FP32));
        assertUserError(Cli.run("kernel", "--x", nan, "--arch", "4,5,2", "--out", dir.resolve("k.npy")),
                "nan.npy", "NaN", "row 1, column 3");
    }

    @Test
    void unknownFlagAndBadValues() throws IOException {
        assertUserError(Cli.run("kernel", "--x", x, "--arch", "4,5,2", "--out", dir.resolve("k.npy"), "--frobnicate"),
                "Unknown option", "--frobnicate");
        assertUserError(Cli.run("kernel", "--x", x, "--arch", "4,5,2", "--out", dir.resolve("k.npy"), "--act", "swish"),
                "swish", "relu");
        assertUserError(Cli.run("kernel", "--x", x, "--arch", "4,x,2", "--out", dir.resolve("k.npy")), "'x'");
        assertUserError(Cli.run("kernel", "--x", x, "--arch", "4,5,2", "--out", dir.resolve("k.npy"), "--memory", "lots"),
                "lots");
        assertUserError(Cli.run("kernel", "--x", x, "--out", dir.resolve("k.npy")), "--arch", "--weights");
        assertUserError(Cli.run("kernel", "--arch", "4,5,2", "--out", dir.resolve("k.npy")), "--x");
        assertUserError(Cli.run("frobnicate"), "frobnicate");
    }

    @Test
    void outputFolderMissing() throws IOException {
        Cli.Result r = Cli.run("kernel", "--x", x, "--arch", "4,5,2", "--out", dir.resolve("no/such/k.npy"));
        assertUserError(r, "does not exist");
    }

    @Test
    void cudaWithoutAGpuIsOneLineElseItWorks() throws IOException {
        boolean cuda = false;
        for (BackendInfo p : Ntk.backends()) {
            cuda |= p.name().equals("cuda") && p.available();
        }
        Cli.Result r = Cli.run("kernel", "--x", x, "--arch", "4,5,2", "--device", "cuda", "--out", dir.resolve("k.npy"));
        if (cuda) {
            assertEquals(0, r.code(), r.toString());
        } else {
            assertUserError(r, "cuda");
        }
    }

    @Test
    void verbosePrintsTheStackTrace() {
        Cli.Result r = Cli.run("kernel", "--x", dir.resolve("nope.npy"), "--arch", "4,5,2", "--out", dir.resolve("k.npy"),
                "--verbose");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("NoSuchFileException") && r.err().contains("\tat "), r.err());
    }
}

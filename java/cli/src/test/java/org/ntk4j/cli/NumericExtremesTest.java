package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.Matrix;
import org.ntk4j.io.Npy;

/**
 * Every command on inputs and targets scaled by 1e±150 and 1e±300, in fp32 and fp64: the right answer (where it is
 * representable in the output's precision) or one line and exit 2 — never a file of infinities or NaN with exit 0,
 * and never quietly wrong numbers. The right answers come from scale laws: a ReLU network without biases is
 * homogeneous, so Θ(sX) = s²·Θ(X), and kernel regression is linear in its targets.
 */
class NumericExtremesTest {
    private static final double[] SCALES = {1e150, 1e-150, 1e300, 1e-300};
    /** Relative (normwise) agreement with the scaled unscaled answer, per precision. */
    private static final double TOL_FP32 = 1e-4;
    private static final double TOL_FP64 = 1e-6;

    @TempDir
    Path dir;
    private Path x;
    private Path y;
    private Path xt;
    private final List<String> failures = new ArrayList<>();

    @BeforeEach
    void inputs() throws IOException {
        x = dir.resolve("x.npy");
        y = dir.resolve("y.npy");
        xt = dir.resolve("xt.npy");
        Cli.randomInputs(x, 12, 4, 1, false);
        Cli.randomInputs(y, 12, 2, 2, false);
        Cli.randomInputs(xt, 5, 4, 3, false);
    }

    private Path scaled(Path file, double s) throws IOException {
        double[] d = Npy.read(file).toDoubleArray();
        int[] shape = Npy.read(file).shape();
        for (int i = 0; i < d.length; i++) {
            d[i] *= s;
        }
        Path out = dir.resolve(file.getFileName().toString().replace(".npy", "") + "-" + s + ".npy");
        Npy.write(out, new org.ntk4j.Tensor(shape, d));
        return out;
    }

    /** The model flags: a ReLU network without biases (homogeneous), small enough to run everything quickly. */
    private static Object[] model(String precision, String impl) {
        return new Object[] {"--arch", "4,16,2", "--bstd", "none", "--seed", 3, "--precision", precision, "--impl",
            impl, "-q"};
    }

    private static Object[] cat(Object[]... parts) {
        List<Object> all = new ArrayList<>();
        for (Object[] p : parts) {
            all.addAll(List.of(p));
        }
        return all.toArray();
    }

    /**
     * Runs a command writing {@code out}; it must refuse in one line (exit 2, no file), or succeed with only finite
     * values, equal to {@code factor}·{@code expected} where that is representable in the output's precision.
     */
    private void check(String what, Object[] args, Path out, double[] expected, double factor, boolean fp32)
            throws IOException {
        Files.deleteIfExists(out);
        Cli.Result r = Cli.run(args);
        if (r.code() == 2) {
            String err = r.err().strip();
            if (err.lines().count() != 1 || err.contains("Exception") || err.contains("\tat ") || Files.exists(out)) {
                failures.add(what + ": refused, but not in one line without a file: " + err);
            }
            return;
        }
        if (r.code() != 0) {
            failures.add(what + ": exit " + r.code() + ": " + r.err().strip());
            return;
        }
        double[] got = Npy.read(out).toDoubleArray();
        for (double v : got) {
            if (!Double.isFinite(v)) {
                failures.add(what + ": exit 0 with " + v + " in the output");
                return;
            }
        }
        if (expected == null) {
            return;
        }
        double num = 0;
        double den = 0;
        double largest = 0;
        for (int i = 0; i < got.length; i++) {
            double want = expected[i] * factor;
            largest = Math.max(largest, Math.abs(want));
            // compared after scaling back, so that neither side under- or overflows in the comparison
            double d = got[i] / factor - expected[i];
            num += d * d;
            den += expected[i] * expected[i];
        }
        double normal = fp32 ? Float.MIN_NORMAL : Double.MIN_NORMAL;
        double max = fp32 ? Float.MAX_VALUE : Double.MAX_VALUE;
        boolean representable = largest > normal * 1e6 && largest < max;
        double err = Math.sqrt(num / den);
        if (representable && !(err <= (fp32 ? TOL_FP32 : TOL_FP64))) {
            failures.add(String.format("%s: exit 0 with a wrong answer (relative error %.3g against the scale law)",
                    what, err));
        }
    }

    @Test
    void everyCommandGivesTheRightAnswerOrOneLineOnScaledData() throws IOException {
        Path out = dir.resolve("out.npy");
        for (String precision : new String[] {"fp32", "fp64"}) {
            boolean fp32 = precision.equals("fp32");
            for (String impl : new String[] {"auto", "analytic"}) {
                Object[] m = model(precision, impl);
                Object[] kernel = {"kernel", "--x", x, "--out", out};
                Object[] regress = {"regress", "--x", x, "--y", y, "--x-test", xt, "--ridge", "1e-3", "--tol", "1e-10",
                    "--out", out};
                assertEquals(0, Cli.run(cat(kernel, m)).code(), "the unscaled kernel");
                double[] k = Npy.read(out).toDoubleArray();
                assertEquals(0, Cli.run(cat(regress, m)).code(), "the unscaled regression");
                double[] pred = Npy.read(out).toDoubleArray();
                double[] inf = null;
                if (impl.equals("analytic")) { // f₀ = 0: regression is linear in Y (the empirical one fits Y − f₀)
                    assertEquals(0, Cli.run(cat(new Object[] {"predict", "--x", x, "--y", y, "--x-test", xt, "--ridge",
                        "1e-3", "--out", out}, m)).code());
                    inf = Npy.read(out).toDoubleArray();
                }
                for (double s : SCALES) {
                    String at = precision + " " + impl + " ×" + s;
                    Path xs = scaled(x, s);
                    Path ys = scaled(y, s);
                    Path xts = scaled(xt, s);
                    check("kernel X" + at, cat(new Object[] {"kernel", "--x", xs, "--out", out}, m), out, k, s * s, fp32);
                    check("regress Y" + at, cat(new Object[] {"regress", "--x", x, "--y", ys, "--x-test", xt,
                        "--ridge", "1e-3", "--tol", "1e-10", "--out", out}, m), out, inf == null ? null : pred, s, fp32);
                    check("regress X" + at, cat(new Object[] {"regress", "--x", xs, "--y", y, "--x-test", xts,
                        "--ridge", "1e-3", "--out", out}, m), out, null, 1, fp32);
                    check("predict Y" + at, cat(new Object[] {"predict", "--x", x, "--y", ys, "--x-test", xt, "--ridge",
                        "1e-3", "--out", out}, m), out, inf, s, fp32);
                    check("predict X" + at, cat(new Object[] {"predict", "--x", xs, "--y", y, "--x-test", xts,
                        "--ridge", "1e-3", "--out", out}, m), out, null, 1, fp32);
                    if (!impl.equals("analytic")) {
                        check("predict t=10 X" + at, cat(new Object[] {"predict", "--x", xs, "--y", ys, "--x-test", xts,
                            "--t", 10, "--out", out}, m), out, null, 1, fp32);
                        Path run = dir.resolve("run");
                        Object[] train = {"train", "--arch", "4,16,2", "--bstd", "none", "--seed", 3, "--precision",
                            precision, "-q", "--steps", 3, "--out-dir", run};
                        assertEquals(0, Cli.run(cat(train, new Object[] {"--x", x, "--y", y})).code(), "unscaled");
                        Cli.Result r = Cli.run(cat(train, new Object[] {"--x", xs, "--y", ys}));
                        if (r.code() == 0) {
                            String csv = Files.readString(run.resolve("train.csv"));
                            assertFalse(csv.contains("Infinity") || csv.contains("NaN"), "train " + at + ": " + csv);
                        } else if (r.code() != 2 || r.err().strip().lines().count() != 1) {
                            failures.add("train" + at + ": " + r);
                        }
                    }
                }
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " failures:\n" + String.join("\n", failures));
    }
}

package org.ntk4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.ntk4j.Matrix;
import org.ntk4j.Precision;
import org.ntk4j.io.Npy;

/** Runs the command line in-process and captures what it prints. */
final class Cli {
    private Cli() {
    }

    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Result run(Object... args) {
        String[] a = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            a[i] = String.valueOf(args[i]);
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), a);
        return new Result(code, out.toString(), err.toString());
    }

    /** Temporary files of unfinished outputs left in a folder (there must never be any once a command has ended). */
    static java.util.List<String> leftovers(Path dir) throws IOException {
        try (java.util.stream.Stream<Path> s = java.nio.file.Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.contains(".ntk4j-") || n.endsWith(".partial"))
                    .sorted().toList();
        }
    }

    /** Random Gaussian inputs (N, d) with a fixed seed, saved as .npy. */
    static Matrix randomInputs(Path file, int n, int d, long seed, boolean float32) throws IOException {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] v = new double[n * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextGaussian();
            if (float32) {
                v[i] = (float) v[i];
            }
        }
        Matrix m = new Matrix(n, d, v);
        Npy.write(file, m.asTensor().toPrecision(float32 ? Precision.FP32 : Precision.FP64));
        return m;
    }
}

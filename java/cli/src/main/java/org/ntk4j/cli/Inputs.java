package org.ntk4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.ntk4j.Matrix;
import org.ntk4j.io.Npy;
import org.ntk4j.io.NpyArray;

/** Reads the .npy inputs of a command and checks them, naming the file in every message. */
final class Inputs {
    private Inputs() {
    }

    /** A batch of examples (N, d) (a 1-D file of N values is read as (N, 1)), finite, non-empty. */
    static Matrix examples(Path file, int expectedDim, String role) throws IOException {
        Matrix m = matrix(file, role);
        if (m.rows() == 0) {
            throw new UsageError(file + ": " + role + " has no examples (shape (0, " + m.cols() + "))");
        }
        if (expectedDim > 0 && m.cols() != expectedDim) {
            throw new UsageError(file + ": " + role + " has " + m.cols() + " features per example but the model's input "
                    + "dimension is " + expectedDim);
        }
        requireFinite(file, m);
        return m;
    }

    /** Targets (N, O) for N examples (1-D means one output). */
    static Matrix targets(Path file, int rows, int outputs) throws IOException {
        Matrix m = matrix(file, "targets");
        if (m.rows() != rows || m.cols() != outputs) {
            throw new UsageError(file + ": targets have shape (" + m.rows() + ", " + m.cols() + ") but (" + rows + ", "
                    + outputs + ") is needed (one row of " + outputs + " outputs per training example)");
        }
        requireFinite(file, m);
        return m;
    }

    static Matrix matrix(Path file, String role) throws IOException {
        if (Files.isDirectory(file)) {
            throw new UsageError(file + ": is a directory, expected a .npy file");
        }
        NpyArray a = Npy.read(file);
        int[] s = a.shape();
        if (s.length != 1 && s.length != 2) {
            throw new UsageError(file + ": " + role + " must be a 2-D array (examples × features), got shape "
                    + Arrays.toString(s));
        }
        return a.toMatrix(role);
    }

    static void requireFinite(Path file, Matrix m) {
        double[] d = m.data();
        for (int k = 0; k < d.length; k++) {
            if (!Double.isFinite(d[k])) {
                throw new UsageError(file + ": contains " + d[k] + " at row " + k / m.cols() + ", column " + k % m.cols());
            }
        }
    }

    /** Checks that an output file can be created: its folder exists. */
    static void requireWritable(Path out) {
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new UsageError("cannot write " + out + ": folder " + parent + " does not exist");
        }
        if (Files.isDirectory(out)) {
            throw new UsageError("cannot write " + out + ": it is a directory");
        }
    }
}

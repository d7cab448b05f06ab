package org.ntk4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.ntk4j.InputLayout;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.Tensor;
import org.ntk4j.internal.io.OutputFile;
import org.ntk4j.io.Npy;
import org.ntk4j.model.Shape;

/** Reads the .npy inputs of a command and checks them, naming the file in every message. */
final class Inputs {
    private Inputs() {
    }

    /**
     * A batch of examples of this shape, finite, non-empty, one per row: (N, d) for flat examples (a 1-D file of N
     * values is read as (N, 1)); images in the layout given (NCHW converted to ntk4j's NHWC rows).
     */
    static Matrix examples(Path file, Shape example, InputLayout layout, String role) throws IOException {
        Tensor a = Npy.read(file);
        if (a.rank() > 0 && a.dim(0) == 0) {
            throw new UsageError(file + ": " + role + " has no examples (shape " + Arrays.toString(a.shape())
                    .replace('[', '(').replace(']', ')') + ")");
        }
        if (example.isFlat() && a.rank() != 1 && a.rank() != 2) {
            throw new UsageError(file + ": " + role + " must be a 2-D array (examples × features), got shape "
                    + Arrays.toString(a.shape()));
        }
        if (example.isFlat() && a.rank() == 2 && a.dim(1) != example.size()) {
            throw new UsageError(file + ": " + role + " has " + a.dim(1) + " features per example but the model's input "
                    + "dimension is " + example.size());
        }
        Matrix m;
        try {
            m = layout.examples(a, example);
        } catch (InvalidInputException e) {
            throw new UsageError(file + ": " + role + ": " + e.getMessage());
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
        Tensor a = Npy.read(file);
        int[] s = a.shape();
        if (s.length != 1 && s.length != 2) {
            throw new UsageError(file + ": " + role + " must be a 2-D array (examples × features), got shape "
                    + Arrays.toString(s));
        }
        // inputs are fp64 (a float32 file is widened here, once); a 1-D array is N examples of one value
        return (s.length == 1 ? a.reshape(s[0], 1) : a).asMatrix();
    }

    static void requireFinite(Path file, Matrix m) {
        double[] d = m.data();
        for (int k = 0; k < d.length; k++) {
            if (!Double.isFinite(d[k])) {
                throw new UsageError(file + ": contains " + d[k] + " at row " + k / m.cols() + ", column " + k % m.cols());
            }
        }
    }

    /** A .npy output named .npz would promise an archive of named arrays: refused rather than mislabelled. */
    static void requireNpy(String flag, Path out) {
        Path name = out.getFileName();
        if (name != null && name.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".npz")) {
            throw new UsageError(flag + " " + out + ": this command writes one array as .npy, not an .npz archive;"
                    + " name the file .npy");
        }
    }

    /** Checks that an output file can be created: its folder exists, and it is not a folder itself. */
    static void requireWritable(Path out) {
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new UsageError("cannot write " + out + ": folder " + parent + " does not exist");
        }
        if (Files.isDirectory(out)) {
            throw new UsageError("cannot write " + out + ": it is a directory");
        }
    }

    /** A file a command reads or writes, and the flag that named it. */
    record Role(String flag, Path path, boolean output) {
        static Role in(String flag, Path path) {
            return new Role(flag, path, false);
        }

        static Role out(String flag, Path path) {
            return new Role(flag, path, true);
        }
    }

    /**
     * Refuses a command line where an output is one of the inputs or another output (the same file through
     * symbolic links, {@code ..} or hard links), before anything is read or written. Null paths are flags not given.
     */
    static void requireDistinct(Role... roles) {
        for (int i = 0; i < roles.length; i++) {
            for (int j = i + 1; j < roles.length; j++) {
                Role a = roles[i];
                Role b = roles[j];
                if (a.path() == null || b.path() == null || (!a.output() && !b.output())) {
                    continue;
                }
                if (OutputFile.sameFile(a.path(), b.path())) {
                    Role out = a.output() ? a : b;
                    Role other = out == a ? b : a;
                    throw new UsageError(out.flag() + " " + out.path() + " is the same file as " + other.flag() + " "
                            + other.path() + (other.output() ? ": one output would overwrite the other"
                            : ": writing it would destroy the input"));
                }
            }
        }
    }
}

package org.ntk4j.cli;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.ntk4j.Matrix;
import org.ntk4j.linalg.SingularSystemException;
import org.ntk4j.model.Parameters;

/** The user's cause of a singular training system, for ntk predict and ntk regress. */
final class Singular {
    private Singular() {
    }

    /**
     * One line naming why Θ(X, X) + ridge·I is singular (duplicated examples, more targets than parameters, or
     * nearly dependent examples) and which flag fixes it; {@code analytic}: the infinite-width kernel, which has
     * no parameter count to blame.
     */
    static UsageError explain(SingularSystemException e, Matrix x, int outputs, Parameters params, boolean analytic,
                              String ridgeFlag, double ridge) {
        int[] dup = duplicateRows(x);
        long targets = (long) x.rows() * outputs;
        String cause;
        if (dup != null) {
            cause = "X has duplicated rows (" + dup[0] + " and " + dup[1] + ")";
        } else if (!analytic && targets > params.size()) {
            cause = "there are more targets to fit (N·O = " + targets + ") than the network has parameters ("
                    + params.size() + ")";
        } else {
            cause = "its examples are nearly linearly dependent in the kernel's feature space";
        }
        return new UsageError("the training kernel plus " + ridgeFlag + " " + ridge + " is singular: " + cause
                + "; raise " + ridgeFlag + " (e.g. " + ridgeFlag + " 1e-6)", e);
    }

    /** The first two equal rows of {@code x}, or null. */
    static int[] duplicateRows(Matrix x) {
        Map<Integer, Integer> seen = new HashMap<>();
        int d = x.cols();
        for (int i = 0; i < x.rows(); i++) {
            double[] row = Arrays.copyOfRange(x.data(), i * d, (i + 1) * d);
            int h = Arrays.hashCode(row);
            Integer j = seen.putIfAbsent(h, i);
            if (j != null && Arrays.equals(row, Arrays.copyOfRange(x.data(), j * d, (j + 1) * d))) {
                return new int[] {j, i};
            }
        }
        return null;
    }
}

package org.ntk4j.spi;

import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;

import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/** The input checks every backend runs first, so every backend rejects bad input with the same message. */
public final class Validation {
    private Validation() {
    }

    /**
     * Checks a batch of inputs for this model: non-empty, matching dimension, finite.
     *
     * @param arch the model
     * @param x    the inputs
     * @param name how the message names them, e.g. "x1"
     * @throws InvalidInputException naming the problem
     */
    public static void requireInputs(Architecture arch, Matrix x, String name) {
        if (x == null) {
            throw new InvalidInputException(name + " is missing");
        }
        if (x.rows() == 0) {
            throw new InvalidInputException(name + " is an empty batch (0 examples)");
        }
        if (x.cols() != arch.inputDim()) {
            throw new InvalidInputException(name + " has " + x.cols() + " features per example but the model's input "
                    + "dimension is " + arch.inputDim());
        }
        requireFinite(x, name);
    }

    /**
     * Checks that every value is finite.
     *
     * @param m    the values
     * @param name how the message names them
     * @throws InvalidInputException naming the problem and where
     */
    public static void requireFinite(Matrix m, String name) {
        double[] d = m.data();
        for (int k = 0; k < d.length; k++) {
            if (!Double.isFinite(d[k])) {
                throw new InvalidInputException(name + " contains " + d[k] + " at row " + k / m.cols() + ", column "
                        + k % m.cols());
            }
        }
    }

    /**
     * Checks that every parameter is finite.
     *
     * @param p the parameters
     * @throws InvalidInputException naming the problem
     */
    public static void requireParameters(Parameters p) {
        if (p == null) {
            throw new InvalidInputException("parameters are missing");
        }
        String bad = p.firstNonFinite();
        if (bad != null) {
            throw new InvalidInputException("parameter " + bad + " is not finite");
        }
    }

    /**
     * Checks targets for a batch of N inputs.
     *
     * @param arch the model
     * @param x    the inputs the targets belong to
     * @param y    the targets, (N, O)
     * @throws InvalidInputException naming the problem
     */
    public static void requireTargets(Architecture arch, Matrix x, Matrix y) {
        if (y == null) {
            throw new InvalidInputException("targets are missing");
        }
        if (y.rows() != x.rows() || y.cols() != arch.outputDim()) {
            throw new InvalidInputException("targets have shape (" + y.rows() + ", " + y.cols() + ") but (" + x.rows()
                    + ", " + arch.outputDim() + ") is needed (one row of O outputs per example)");
        }
        requireFinite(y, "targets");
    }

    /**
     * Checks the arguments of an NTK call Θ(x1, x2); x2 may be x1 itself (the symmetric kernel).
     *
     * @param p    the parameters
     * @param x1   the first inputs
     * @param x2   the second inputs, or x1 itself
     * @param mode the kernel's mode
     * @param impl the implementation
     * @throws InvalidInputException naming the problem
     */
    public static void requireNtkArguments(Parameters p, Matrix x1, Matrix x2, NtkMode mode, Implementation impl) {
        requireParameters(p);
        requireNtkArguments(p.architecture(), x1, x2, mode, impl);
    }

    /**
     * The same for a network held elsewhere (a prepared model): inputs, mode, implementation and output size.
     *
     * @param arch the network's shape
     * @param x1   the first inputs
     * @param x2   the second inputs (the same object as x1 for Θ(x, x))
     * @param mode the kernel's mode
     * @param impl the implementation asked for
     */
    public static void requireNtkArguments(Architecture arch, Matrix x1, Matrix x2, NtkMode mode, Implementation impl) {
        requireInputs(arch, x1, x2 == x1 ? "x" : "x1");
        if (x2 != x1) {
            requireInputs(arch, x2, "x2");
        }
        if (mode == null) {
            throw new InvalidInputException("kernel mode must be given (full, trace or diagonal)");
        }
        if (impl == null) {
            throw new InvalidInputException("implementation must be given (auto, jacobian or structured)");
        }
        long n = (long) x1.rows() * x2.rows() * mode.valuesPerPair(arch.outputDim());
        if (n > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("the kernel of " + x1.rows() + " × " + x2.rows() + " inputs in " + mode
                    + " mode would have " + n + " values, more than one Java array holds; compute it in tiles of x1 "
                    + "and x2 (ntk kernel does this by itself)");
        }
    }

    /**
     * Checks that the whole Jacobian of N examples, (N·O) × P, fits one array.
     *
     * @param arch the model
     * @param n    the number of examples
     * @throws InvalidInputException naming the problem
     */
    public static void requireJacobianSize(Architecture arch, int n) {
        long values = (long) n * arch.outputDim() * arch.parameterCount();
        if (values > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("the Jacobian of " + n + " examples would have " + values + " values ("
                    + n + " × " + arch.outputDim() + " outputs × " + arch.parameterCount() + " parameters), more than "
                    + "one Java array holds; use fewer examples or the kernel methods, which never form it whole");
        }
    }
}

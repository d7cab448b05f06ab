package org.ntk4j.dynamics;

import org.ntk4j.InvalidInputException;
import org.ntk4j.KernelFunction;
import org.ntk4j.KernelKind;
import org.ntk4j.KernelLayout;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;

/**
 * The covariance of the network's outputs at initialisation (the NNGP K) on the blocks a predictive covariance
 * needs: K(x_train, x_train), K(x_test, x_train) and K(x_test, x_test), in the layout of the kernel the dynamics
 * use — (N, N), (Nt, N), (Nt, Nt) beside a trace-mode kernel, (N·O, N·O), (Nt·O, N·O), (Nt·O, Nt·O) beside a full
 * one (as {@link org.ntk4j.KernelLayout#fullToMatrix} lays it out). The matrices are kept by reference and only read.
 *
 * @param train     K(x_train, x_train), symmetric
 * @param testTrain K(x_test, x_train)
 * @param test      K(x_test, x_test), symmetric
 */
public record PriorCovariance(Matrix train, Matrix testTrain, Matrix test) {
    /**
     * Checks that the three blocks are given and square where they must be.
     *
     * @throws InvalidInputException when a block is missing or the shapes do not fit together
     */
    public PriorCovariance {
        if (train == null || testTrain == null || test == null) {
            throw new InvalidInputException("the prior covariance needs its train, test-train and test blocks");
        }
        if (train.rows() != train.cols() || test.rows() != test.cols() || testTrain.rows() != test.rows()
                || testTrain.cols() != train.rows()) {
            throw new InvalidInputException("the prior covariance's blocks do not fit together: train "
                    + train.rows() + "×" + train.cols() + ", test-train " + testTrain.rows() + "×" + testTrain.cols()
                    + ", test " + test.rows() + "×" + test.cols());
        }
    }

    /**
     * The three blocks from an NNGP kernel function (e.g. {@code AnalyticKernel.of(arch).kernelFunction(NNGP)}), in
     * the matrix layout of a trace-mode or full kernel.
     *
     * @param nngp   the NNGP; its kind must be {@link KernelKind#NNGP}
     * @param xTrain the training inputs, (N, d)
     * @param xTest  the test inputs, (Nt, d)
     * @param mode   TRACE for (N, N)-shaped blocks, FULL for (N·O, N·O)-shaped ones
     * @return the blocks
     * @throws InvalidInputException when the function is not an NNGP, the mode is DIAGONAL or an input is invalid
     */
    public static PriorCovariance of(KernelFunction nngp, Matrix xTrain, Matrix xTest, NtkMode mode) {
        if (nngp == null || nngp.kind() != KernelKind.NNGP) {
            throw new InvalidInputException("the prior covariance comes from an NNGP kernel function, got "
                    + (nngp == null ? "none" : nngp.kind()));
        }
        if (mode != NtkMode.TRACE && mode != NtkMode.FULL) {
            throw new InvalidInputException("the prior covariance is laid out as a trace-mode or full kernel, not "
                    + mode);
        }
        return new PriorCovariance(matrix(nngp.kernel(xTrain, mode)), matrix(nngp.kernel(xTest, xTrain, mode)),
                matrix(nngp.kernel(xTest, mode)));
    }

    private static Matrix matrix(Tensor k) {
        return k.rank() == 2 ? k.asMatrix() : KernelLayout.fullToMatrix(k);
    }
}

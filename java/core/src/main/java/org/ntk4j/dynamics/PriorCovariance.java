package org.ntk4j.dynamics;

import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;

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
}

package org.ntk4j.dynamics;

import org.ntk4j.NtkException;

/** Gradient descent blew up (a non-finite loss): the learning rate is too large for this network and data. */
public class DivergedException extends NtkException {
    private final int step;
    private final double learningRate;

    public DivergedException(int step, double loss, double learningRate) {
        super("gradient descent diverged at step " + step + " (loss " + loss + ") with learning rate " + learningRate
                + "; use a smaller learning rate");
        this.step = step;
        this.learningRate = learningRate;
    }

    /** The step whose loss was no longer finite. */
    public int step() {
        return step;
    }

    public double learningRate() {
        return learningRate;
    }
}

package org.ntk4j.dynamics;

import org.ntk4j.NtkException;

/** Gradient descent blew up (a non-finite loss): the learning rate is too large for this network and data. */
public class DivergedException extends NtkException {
    /**
     * The step whose loss was no longer finite.
     */
    private final int step;
    /**
     * The learning rate that diverged.
     */
    private final double learningRate;

    /**
     * An exception naming the step, the loss and the learning rate.
     *
     * @param step         the step whose loss was no longer finite
     * @param loss         that loss (NaN or ±∞)
     * @param learningRate the learning rate in use
     */
    public DivergedException(int step, double loss, double learningRate) {
        super("gradient descent diverged at step " + step + " (loss " + loss + ") with learning rate " + learningRate
                + "; use a smaller learning rate");
        this.step = step;
        this.learningRate = learningRate;
    }

    /**
     * The step whose loss was no longer finite.
     *
     * @return the step
     */
    public int step() {
        return step;
    }

    /**
     * The learning rate in use when it diverged.
     *
     * @return η
     */
    public double learningRate() {
        return learningRate;
    }
}

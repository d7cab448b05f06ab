package org.ntk4j.model;

import org.ntk4j.InvalidInputException;

/**
 * A layer that a backend, or a view of the architecture, cannot handle where it stands in the sequence: the
 * message names the layer's index and what is wrong, never a silent wrong answer.
 */
public class UnsupportedLayerException extends InvalidInputException {
    /** The layer's index in the sequence. */
    private final int layerIndex;
    /** What is wrong with it, without its name. */
    private final String problem;

    /**
     * A layer that cannot be handled.
     *
     * @param layerIndex the layer's index in {@link Architecture#sequence()}
     * @param layer      the layer
     * @param problem    what is wrong, completing "layer i (spec) …"
     */
    public UnsupportedLayerException(int layerIndex, Layer layer, String problem) {
        super("layer " + layerIndex + " (" + layer.spec() + ") " + problem);
        this.layerIndex = layerIndex;
        this.problem = problem;
    }

    /**
     * The layer's index in the sequence.
     *
     * @return the index in {@link Architecture#sequence()}
     */
    public int layerIndex() {
        return layerIndex;
    }

    /**
     * What is wrong, without the layer's name.
     *
     * @return the problem
     */
    public String problem() {
        return problem;
    }
}

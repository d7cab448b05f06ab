package org.ntk4j.reference;

import org.ntk4j.model.Architecture;
import org.ntk4j.model.AvgPool;
import org.ntk4j.model.Conv;
import org.ntk4j.model.Dense;
import org.ntk4j.model.Elementwise;
import org.ntk4j.model.Flatten;
import org.ntk4j.model.GlobalAvgPool;
import org.ntk4j.model.Parameters;

/**
 * One layer of the sequence on the reference backend, one example at a time, in plain fp64 loops: its forward pass,
 * its backward pass, its block of the per-example Jacobian and its term of the structured NTK. One class per layer
 * kind; {@link ReferenceBackend} walks the sequence.
 */
sealed interface ReferenceLayer permits ReferenceDense, ReferenceElementwise, ReferenceConv, ReferenceAvgPool,
        ReferenceGlobalAvgPool, ReferenceFlatten {

    /**
     * The reference form of layer i of the sequence.
     *
     * @param params the network's parameters
     * @param i      the index in {@link Architecture#sequence()}
     * @param offset where its parameters start in the flat vector
     * @return the layer with its parameters (by reference, not copied)
     */
    static ReferenceLayer of(Parameters params, int i, int offset) {
        Architecture arch = params.architecture();
        return switch (arch.sequence().get(i)) {
            case Dense d -> new ReferenceDense(params, parameterIndex(arch, i), offset);
            case Elementwise e -> new ReferenceElementwise(e.activation());
            case Conv c -> new ReferenceConv(params, parameterIndex(arch, i), offset);
            case AvgPool p -> new ReferenceAvgPool(p.window(), arch.inputShape(i));
            case GlobalAvgPool g -> new ReferenceGlobalAvgPool(arch.inputShape(i));
            case Flatten f -> new ReferenceFlatten(arch.inputShape(i));
        };
    }

    private static int parameterIndex(Architecture arch, int i) {
        for (int l = 0; l < arch.layers(); l++) {
            if (arch.sequenceIndex(l) == i) {
                return l;
            }
        }
        throw new IllegalArgumentException("layer " + i + " has no parameters");
    }

    /**
     * The number of this layer's parameters in the flat vector (W, then b).
     *
     * @return 0 for a layer without parameters
     */
    default int parameterCount() {
        return 0;
    }

    /**
     * The layer's output for one example.
     *
     * @param in the layer's input
     * @return a new array
     */
    double[] forward(double[] in);

    /**
     * ∂f_a/∂(input) from ∂f_a/∂(output) for one output a of one example.
     *
     * @param in    the layer's input in the forward pass
     * @param delta ∂f_a/∂(output)
     * @return ∂f_a/∂(input)
     */
    Delta backward(double[] in, Delta delta);

    /**
     * Writes ∂f_a/∂θ for this layer's parameters into a Jacobian row (nothing for a layer without parameters).
     *
     * @param in    the layer's input
     * @param delta ∂f_a/∂(output)
     * @param row   the row of ∂f_a/∂θ over all P parameters, at the layer's offsets
     */
    default void jacobianBlock(double[] in, Delta delta, double[] row) {
        // no parameters
    }

    /**
     * This layer's term of the NTK, Σ over its parameters θ of ∂f_a(x)/∂θ·∂f_b(x')/∂θ, from the layer's inputs and
     * output δs alone, never forming J (the structured form).
     *
     * @param in1    the layer's input for x
     * @param delta1 ∂f_a(x)/∂(output)
     * @param in2    the layer's input for x'
     * @param delta2 ∂f_b(x')/∂(output)
     * @return the term (0 for a layer without parameters)
     */
    default double structuredTerm(double[] in1, double[] delta1, double[] in2, double[] delta2) {
        return 0;
    }

    /**
     * A gradient with respect to a layer's output, {@code scale·values}. A dense layer hands its scale c down
     * unapplied so that φ'(z)·c·(Wᵀδ) is evaluated in that order, as the MLP recursion δ^l = φ'(z^l) ⊙ (c_l·W^lᵀ δ^{l+1})
     * always was: the same bits for every MLP.
     *
     * @param scale  the factor not yet applied
     * @param values the vector it multiplies
     */
    record Delta(double scale, double[] values) {
        /** The unit vector e_a of the network's output. */
        static Delta unit(int size, int a) {
            double[] v = new double[size];
            v[a] = 1.0;
            return new Delta(1.0, v);
        }

        /** scale·values, applied. */
        double[] applied() {
            if (scale == 1.0) {
                return values;
            }
            double[] v = new double[values.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = scale * values[i];
            }
            return v;
        }
    }
}

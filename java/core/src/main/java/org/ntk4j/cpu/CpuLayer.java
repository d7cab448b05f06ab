package org.ntk4j.cpu;

import org.ntk4j.NtkMode;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.AvgPool;
import org.ntk4j.model.Conv;
import org.ntk4j.model.Dense;
import org.ntk4j.model.Elementwise;
import org.ntk4j.model.Flatten;
import org.ntk4j.model.GlobalAvgPool;
import org.ntk4j.model.Parameters;

/**
 * One layer of the sequence on the CPU backend, batched over a chunk of examples in the working precision: one class
 * per layer kind, and {@link #of} is the one place a kind is registered. {@link Network} keeps the layers and their
 * forward state, walks them forwards and backwards; {@link NtkCompute} and {@link Derivatives} ask each layer with
 * parameters for its share of the kernel, the Jacobian and the gradient.
 *
 * <p>Every value of one example is a row, flattened: rows × {@link #inputWidth()} in, rows × {@link #outputWidth()}
 * out — a feature vector as it is, an image (H, W, C) in NHWC order, so a layer on images reads row r's pixel
 * (y, x) channel c at r·H·W·C + (y·W + x)·C + c. A δ buffer holds the gradients of m values per example (the O
 * outputs for kernels and Jacobians, the one loss for a gradient): rows·m rows, row q belonging to example q / m.
 *
 * @param <A> the working precision's array type
 */
sealed interface CpuLayer<A> permits CpuDense, CpuElementwise, CpuConv, CpuAvgPool, CpuGlobalAvgPool, CpuFlatten {

    /**
     * The CPU form of layer i of the sequence.
     *
     * @param ar     the working precision
     * @param params the network's parameters (converted to the working precision, not kept)
     * @param i      the index in {@link Architecture#sequence()}
     * @param l      its index among the layers with parameters (unused for a layer without)
     * @return the layer
     */
    static <A> CpuLayer<A> of(Arith<A> ar, Parameters params, int i, int l) {
        Architecture arch = params.architecture();
        return switch (arch.sequence().get(i)) {
            case Dense d -> new CpuDense<>(ar, params, d, i, l);
            case Elementwise e -> new CpuElementwise<>(ar, e.activation(),
                    arch.inputShape(i).intSize("the input of layer " + i));
            case Conv c -> new CpuConv<>(ar, params, c, i, l);
            case AvgPool a -> new CpuAvgPool<>(ar, a, arch.inputShape(i), arch.outputShape(i));
            case GlobalAvgPool g -> new CpuGlobalAvgPool<>(ar, arch.inputShape(i));
            case Flatten f -> new CpuFlatten<>(ar, arch.inputShape(i));
        };
    }

    /** Entries of one example's input. */
    int inputWidth();

    /** Entries of one example's output. */
    int outputWidth();

    /** Whether this layer has parameters (then {@link Network#parameterized} lists it); by default not. */
    default boolean hasParameters() {
        return false;
    }

    /**
     * Whether the output is written over the input (the layer before never reads its output again); by default
     * not.
     */
    default boolean inPlace() {
        return false;
    }

    /** Elements per example that the forward pass keeps for the backward one (besides the output); by default none. */
    default long savedPerExample() {
        return 0;
    }

    /** The saved state for up to {@code capacity} examples, or null when there is none (the default). */
    default A newSaved(int capacity) {
        return null;
    }

    /** out ← the layer applied to rows × inputWidth of {@code in} ({@code out == in} when {@link #inPlace}). */
    void forward(A in, A out, A saved, int rows);

    /**
     * The δ at this layer's input from the δ at its output ({@link Network.Backprop#delta()}), into that buffer when
     * the layer works in place, else into {@code spare}.
     *
     * @param bp    the backpropagation, standing at this layer
     * @param spare a free buffer of the same capacity
     * @param noted what the layer above noted about the δ rows (null if nothing); a layer that keeps that structure
     *              passes it on with {@link Network.Backprop#topRows(Network.TopRows)}
     * @return the buffer that holds the δ at the input
     */
    A backward(Network<A>.Backprop bp, A spare, Network.TopRows<A> noted);

    /**
     * Elements of scratch the layer keeps whatever the chunk size (products of one example or one pair at a time),
     * for the memory plan.
     *
     * @param outputs O
     */
    default long fixedScratch(int outputs) {
        return 0;
    }

    /**
     * Multiply-adds per pair of examples by which this layer's structured term exceeds its Jacobian-contraction term
     * (negative where it is cheaper; 0 where the two cost alike, as for a dense layer): what {@link Network#autoStructured}
     * weighs.
     *
     * @param outputs O
     * @param mode    the kernel's mode
     */
    default double structuredExtraCost(int outputs, NtkMode mode) {
        return 0;
    }

    /** Elements of the scratch row that {@link #jacobianRows} needs per example (0 without parameters). */
    default int jacobianScratchWidth() {
        return 0;
    }

    /** Elements per example the gradient's scratch needs per row of its block (0 without parameters). */
    default int gradientScratchWidth() {
        return 0;
    }

    /**
     * Adds this layer's term of the NTK of a block of examples, from both sides' inputs and output δs, never
     * forming J (the structured form). Nothing for a layer without parameters.
     */
    default void structuredTerm(NtkCompute<A>.Block blk, Network<A>.Backprop bpI, Network<A>.Backprop bpJ) {
    }

    /** Adds this layer's term of the NTK of a block of examples by Jacobian contraction, chunk by chunk. */
    default void jacobianTerm(NtkCompute<A>.Block blk, Network<A>.Backprop bpI, Network<A>.Backprop bpJ) {
    }

    /**
     * Writes all this layer's Jacobian columns, in the working precision, for every (example, output) row q of the
     * chunk: row q starts at {@code off + q·ld} of {@code jac} and gets {@link #jacobianColumns()} values (weights
     * and bias of each output unit together). The materialised Jacobian contraction fills J once per example this way.
     *
     * @param bp      the backpropagation (multiplicity O) standing at this layer
     * @param jac     the Jacobian being filled
     * @param off     where the chunk's first row gets this layer's first column
     * @param ld      the Jacobian's row length
     * @param scratch {@link #jacobianScratchWidth()} elements per example of the chunk
     */
    default void jacobianColumns(Network<A>.Backprop bp, A jac, int off, int ld, A scratch) {
    }

    /** How many Jacobian columns {@link #jacobianColumns(Network.Backprop, Object, int, int, Object)} writes. */
    default int jacobianColumns() {
        return 0;
    }

    /**
     * Writes this layer's columns of the Jacobian rows of the chunk: row (base + q) of {@code out} (row length P),
     * q = r·O + a, gets ∂f_a(x_r)/∂θ rounded to the working precision at the layer's parameter offsets.
     *
     * @param bp      the backpropagation (multiplicity O) standing at this layer
     * @param out     the Jacobian, (N·O) × P row-major
     * @param base    the row of the chunk's first (example, output) pair
     * @param p       P, the row length
     * @param scratch {@link #jacobianScratchWidth()} elements per example of the chunk
     */
    default void jacobianRows(Network<A>.Backprop bp, double[] out, int base, int p, A scratch) {
    }

    /**
     * Adds this layer's share of a gradient: grad[θ] += Σ_r δ_r·∂(output_r)/∂θ over the chunk (δ: one row per
     * example, multiplicity 1).
     *
     * @param bp        the backpropagation standing at this layer
     * @param grad      the flat gradient, at the layer's offsets
     * @param tmp       scratch of {@code blockRows} × {@link #gradientScratchWidth()} (plus slack)
     * @param blockRows how many rows of a weight gradient to form at once
     */
    default void gradient(Network<A>.Backprop bp, double[] grad, A tmp, int blockRows) {
    }

    /**
     * The working copy of the layer's parameters, which a prepared model updates in place after each step (null for
     * a layer without parameters).
     */
    default LayerWeights<A> weights() {
        return null;
    }
}

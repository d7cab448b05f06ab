package org.ntk4j.cuda;

import java.util.ArrayList;
import java.util.List;
import org.ntk4j.NtkMode;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Dense;
import org.ntk4j.model.Elementwise;
import org.ntk4j.model.Layer;
import org.ntk4j.model.UnsupportedLayerException;

/**
 * One layer of the sequence on the CUDA backend: what it keeps on the device ({@link DeviceParameters}, for a layer
 * with parameters), its sizes for the memory planner, and its launches — forward, backward of the δ rows, its block
 * of the per-example Jacobian, its term of the structured NTK and its gradient. One class per layer kind;
 * {@link #sequence} is the one place a kind is registered, and {@link DeviceNet}, {@link CudaOperations} and
 * {@link CudaPreparedModel} walk the list.
 *
 * <p>Values are flat per example (an image layer's H·W·C values in NHWC order), so a tile of examples is a
 * rows × size matrix at every point of the sequence: {@link Acts#out}[i] is what layer i reads, and
 * {@link Acts#delta}[i + 1] the δ rows of what it makes.
 *
 * <p>An activation has no launch of its own: it runs fused into the epilogue of the layer before it (which writes
 * both its pre-activation and φ of it) and into the backward launch of the layer after it (which multiplies by
 * φ'(z)), as the kernels were written; so an activation needs a layer with parameters on either side.
 */
sealed interface DeviceLayer permits DeviceDense, DeviceElementwise {

    /**
     * The device form of every layer of the sequence, in order. A kind without a CUDA class, or an activation that
     * has no layer to fuse into, is refused naming its layer.
     *
     * @param a the architecture
     * @return the layers, without device buffers (a {@link DeviceNet} allocates those)
     * @throws org.ntk4j.model.UnsupportedLayerException naming the first layer the kernels cannot run
     */
    static List<DeviceLayer> sequence(Architecture a) {
        List<Layer> seq = a.sequence();
        List<DeviceLayer> out = new ArrayList<>(seq.size());
        int l = 0;
        for (int i = 0; i < seq.size(); i++) {
            Layer layer = seq.get(i);
            out.add(switch (layer) {
                case Dense d -> new DeviceDense(a, l++, i, activationAt(seq, i - 1), activationAt(seq, i + 1));
                case Elementwise e -> new DeviceElementwise(i);
                default -> throw new UnsupportedLayerException(i, layer, "has no CUDA implementation; the cuda backend"
                        + " runs dense layers and activations");
            });
        }
        // the activations fuse into the layers beside them
        a.chainActivations("the cuda backend");
        return List.copyOf(out);
    }

    /** The kernels' code of the activation at sequence index i, or identity where there is none. */
    private static int activationAt(List<Layer> seq, int i) {
        return i >= 0 && i < seq.size() && seq.get(i) instanceof Elementwise e
                ? KernelLaunches.activationCode(e.activation()) : KernelLaunches.ACT_IDENTITY;
    }

    /** Its index in the sequence. */
    int index();

    /** Device elements of its parameters (with {@code transposes}, also of the transposes its backward reads). */
    long parameterElements(boolean transposes);

    /**
     * Device elements per example of the buffers its forward and backward use in a tile whose δ has {@code rpe}
     * rows per example (0: no δ).
     */
    long activationElements(int rpe);

    /** Its parameters' device buffers, allocated (values undefined); null for a layer without parameters. */
    DeviceParameters allocate(CudaDevice dev, KernelLaunches.Elem elem, boolean transposes);

    /**
     * Writes {@code Parameters.init(a, seed)}'s values of its parameters into each of {@code copies} without ever
     * holding all of them on the host (blocks of about {@code blockValues} values); nothing for a layer without.
     */
    void uploadInitial(CudaDevice dev, long seed, int blockValues, DeviceParameters... copies);

    /** Forms what it derives from its parameters (the transposes) after an upload or a step. */
    void refresh(CudaOperations ops, DeviceParameters p);

    /** Writes its outputs for the tile (the activation after it included, fused) into {@code t.out}. */
    void forward(CudaOperations ops, DeviceNet net, Workspace ws, String side, Acts t);

    /**
     * Writes the δ rows of its input (of the activation before it, fused) from those of its output; the walk stops
     * at the first layer with parameters, whose input needs none.
     *
     * @param rpe δ rows per example (O for the NTK, 1 for the loss gradient)
     */
    void backward(CudaOperations ops, DeviceNet net, Workspace ws, String side, Acts t, int rpe);

    /** Adds (or with {@code accumulate} false, writes) its loss gradient for one tile into {@code g}. */
    void gradient(CudaOperations ops, Acts t, boolean accumulate, Grad g);

    /**
     * Writes the columns [q0, q1) of its own parameters' block of the per-example Jacobian of the tile's O·rows
     * rows into {@code j} at column {@code jcol0}.
     */
    void jacobianBlock(CudaOperations ops, Acts t, int o, long q0, long q1, DeviceBuffer j, long ldj, long jcol0);

    /** What one tile pair of the structured NTK needs from this layer (its split counts and fp64 workspace). */
    StructuredPlan planStructured(CudaOperations ops, int t1, int t2, int o, NtkMode mode, long wsCap, boolean same);

    /**
     * Adds its term of the structured NTK of a tile pair into {@code theta} (the first term writes it), from the
     * Gram product of its inputs and its output δs, never forming J.
     */
    void structured(CudaOperations ops, StructuredPlan plan, Acts a1, Acts a2, boolean same, NtkMode mode, int o,
                    DeviceBuffer theta, DeviceBuffer gh, DeviceBuffer part, boolean first);

    /** A layer's split counts for a structured tile pair and the fp64 workspace elements they need. */
    record StructuredPlan(int gramSplits, int structSplits, long workspace) {
        static final StructuredPlan NONE = new StructuredPlan(1, 1, 0);
    }

    /** The tile's values at every point of the sequence and, once computed, their δ rows; workspace buffers. */
    final class Acts {
        final int rows;
        /** out[0] is the input, out[i + 1] what layer i makes (null where a fused activation's layer kept none). */
        final DeviceBuffer[] out;
        /** delta[i + 1] are the δ rows of what layer i makes. */
        final DeviceBuffer[] delta;

        Acts(int rows, int length) {
            this.rows = rows;
            out = new DeviceBuffer[length + 1];
            delta = new DeviceBuffer[length + 1];
        }
    }

    /** The loss gradient's buffers, by sequence index (null for a layer without parameters). */
    final class Grad {
        final DeviceBuffer[] w;
        final DeviceBuffer[] b;

        Grad(int length) {
            w = new DeviceBuffer[length];
            b = new DeviceBuffer[length];
        }
    }
}

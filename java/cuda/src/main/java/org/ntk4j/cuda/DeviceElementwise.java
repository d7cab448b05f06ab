package org.ntk4j.cuda;

import org.ntk4j.NtkMode;

/**
 * An activation φ on the device. It launches nothing: the layer before it writes φ(z) in its forward epilogue and
 * the layer after it multiplies by φ'(z) in its backward launch ({@link DeviceLayer}), so it has no buffers, no
 * parameters and no term of the NTK of its own.
 */
final class DeviceElementwise implements DeviceLayer {
    private final int i;

    DeviceElementwise(int i) {
        this.i = i;
    }

    @Override
    public int index() {
        return i;
    }

    @Override
    public long parameterElements(boolean transposes) {
        return 0;
    }

    /** Its output is counted by the layer after it, which reads it. */
    @Override
    public long activationElements(int rpe) {
        return 0;
    }

    @Override
    public DeviceParameters allocate(CudaDevice dev, KernelLaunches.Elem elem, boolean transposes) {
        return null;
    }

    @Override
    public void uploadInitial(CudaDevice dev, long seed, int blockValues, DeviceParameters... copies) {
    }

    @Override
    public void refresh(CudaOperations ops, DeviceParameters p) {
    }

    /** Written by the layer before it (its epilogue). */
    @Override
    public void forward(CudaOperations ops, DeviceNet net, Workspace ws, String side, Acts t) {
    }

    /** Applied by the layer after it (its backward launch multiplies by φ'). */
    @Override
    public void backward(CudaOperations ops, DeviceNet net, Workspace ws, String side, Acts t, int rpe) {
    }

    @Override
    public void gradient(CudaOperations ops, Acts t, boolean accumulate, Grad g) {
    }

    @Override
    public void jacobianBlock(CudaOperations ops, Acts t, int o, long q0, long q1, DeviceBuffer j, long ldj,
                              long jcol0) {
    }

    @Override
    public StructuredPlan planStructured(CudaOperations ops, int t1, int t2, int o, NtkMode mode, long wsCap,
                                         boolean same) {
        return StructuredPlan.NONE;
    }

    @Override
    public void structured(CudaOperations ops, StructuredPlan plan, Acts a1, Acts a2, boolean same, NtkMode mode,
                           int o, DeviceBuffer theta, DeviceBuffer gh, DeviceBuffer part, boolean first) {
    }
}

package org.ntk4j.cuda;

import org.ntk4j.NtkMode;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Elementwise;
import org.ntk4j.model.Parameters;

/**
 * A dense layer on the device: z = c·h Wᵀ + s·b over the tile's rows (c, s: its weight and bias scales in the
 * network's parameterization), W^l (n_out × n_in), its transpose for the backward pass and b^l. The activation after
 * it (if any) runs in its forward epilogue, the one before it in its backward launch.
 */
final class DeviceDense implements DeviceLayer {
    private final Architecture a;
    /** Its index among the layers with parameters, and in the sequence. */
    private final int l;
    private final int i;
    private final int in;
    private final int out;
    private final double c;
    private final double s;
    private final boolean bias;
    /** The kernels' codes of the activation before it (its backward's φ') and after it (its epilogue's φ). */
    private final int actBefore;
    private final int actAfter;
    private final boolean fusedBefore;
    private final boolean fusedAfter;

    DeviceDense(Architecture a, int l, int i, int actBefore, int actAfter) {
        this.a = a;
        this.l = l;
        this.i = i;
        this.in = (int) a.inputShape(i).size();
        this.out = (int) a.outputShape(i).size();
        this.c = a.weightScale(l);
        this.s = a.biasScale(l);
        this.bias = a.hasBias(l);
        this.actBefore = actBefore;
        this.actAfter = actAfter;
        this.fusedBefore = i > 0 && a.sequence().get(i - 1) instanceof Elementwise;
        this.fusedAfter = i + 1 < a.sequence().size() && a.sequence().get(i + 1) instanceof Elementwise;
    }

    @Override
    public int index() {
        return i;
    }

    @Override
    public long parameterElements(boolean transposes) {
        return (transposes ? 2 : 1) * a.weightCount(l) + a.biasCount(l);
    }

    /** What it reads (the input, or the activation before it that the layer before wrote), z and the δ rows of z. */
    @Override
    public long activationElements(int rpe) {
        return in + out + (long) rpe * out;
    }

    @Override
    public DeviceParameters allocate(CudaDevice dev, KernelLaunches.Elem elem, boolean transposes) {
        return new DeviceParameters(dev, elem, l, a.weightCount(l), a.biasCount(l), transposes);
    }

    @Override
    public void refresh(CudaOperations ops, DeviceParameters p) {
        if (p.wt != null) {
            ops.k.transpose(ops.elem, out, in, p.w.address(), in, p.wt.address(), out);
        }
    }

    /** Rows of W^l are generated with {@link Parameters#initialRow} and uploaded block by block. */
    @Override
    public void uploadInitial(CudaDevice dev, long seed, int blockValues, DeviceParameters... copies) {
        int rowsPer = Math.max(1, blockValues / in);
        double[] row = new double[in];
        double[] block = new double[(int) Math.min((long) rowsPer * in, (long) out * in)];
        double[] b = bias ? new double[out] : null;
        for (int i0 = 0; i0 < out; i0 += rowsPer) {
            int rows = Math.min(rowsPer, out - i0);
            for (int r = 0; r < rows; r++) {
                double bi = Parameters.initialRow(a, seed, l, i0 + r, row);
                System.arraycopy(row, 0, block, r * in, in);
                if (b != null) {
                    b[i0 + r] = bi;
                }
            }
            for (DeviceParameters p : copies) {
                dev.upload(p.w, (long) i0 * in, block, 0, rows * in);
            }
        }
        if (b != null) {
            for (DeviceParameters p : copies) {
                dev.upload(p.b, 0, b, 0, out);
            }
        }
    }

    @Override
    public void forward(CudaOperations ops, DeviceNet net, Workspace ws, String side, Acts t) {
        DeviceParameters p = net.parameters(i);
        DeviceBuffer z = ws.output(side + "z" + (l + 1), (long) t.rows * out);
        DeviceBuffer h = fusedAfter ? ws.output(side + "h" + (l + 1), (long) t.rows * out) : null;
        t.out[i + 1] = z;
        if (h != null) {
            t.out[i + 2] = h;
        }
        ops.k.forward(ops.elem, t.rows, out, in, t.out[i].address(), in, p.w.address(), p.bias(), c, s, actAfter,
                z.address(), h == null ? 0L : h.address());
    }

    @Override
    public void backward(CudaOperations ops, DeviceNet net, Workspace ws, String side, Acts t, int rpe) {
        // δ of the activation's input when one is fused before this layer, else of this layer's input
        int target = fusedBefore ? i - 1 : i;
        int r = t.rows * rpe;
        t.delta[target] = ws.output(side + "d" + l, (long) r * in);
        ops.k.backwardDelta(ops.elem, r, in, out, t.delta[i + 1].address(), net.parameters(i).wt.address(),
                t.out[target].address(), rpe, c, actBefore, t.delta[target].address());
    }

    @Override
    public void gradient(CudaOperations ops, Acts t, boolean accumulate, Grad g) {
        ops.k.weightGrad(ops.elem, t.rows, out, in, t.delta[i + 1].address(), t.out[i].address(), c, accumulate,
                g.w[i].address());
        if (bias) {
            ops.k.biasGrad(ops.elem, t.rows, out, t.delta[i + 1].address(), s, accumulate, g.b[i].address());
        }
    }

    @Override
    public void jacobianBlock(CudaOperations ops, Acts t, int o, long q0, long q1, DeviceBuffer j, long ldj,
                              long jcol0) {
        ops.k.jacobianLayer(ops.elem, t.rows * o, o, out, in, t.delta[i + 1].address(), t.out[i].address(), c, s, bias,
                q0, q1, j.address(), ldj, jcol0);
    }

    @Override
    public StructuredPlan planStructured(CudaOperations ops, int t1, int t2, int o, NtkMode mode, long wsCap,
                                         boolean same) {
        boolean fp32 = ops.elem == KernelLaunches.Elem.F32;
        int sg = ops.k.chooseSplits(t1, t2, 1, in, ops.elem.bm, ops.elem.bn, wsCap, same);
        int sp = ops.k.structSplits(ops.elem, mode, t1, t2, o, out, wsCap);
        return new StructuredPlan(sg, sp, Math.max(KernelLaunches.workspaceElements(fp32, in, sg, 1, t1, t2),
                KernelLaunches.structWorkspaceElements(ops.elem, mode, t1, t2, o, out, sp)));
    }

    /** Θ += c²·(δ1 δ2ᵀ-contraction ⊙ h1 h2ᵀ) + s²·(δ-contraction): the Gram of its inputs, then the structured term. */
    @Override
    public void structured(CudaOperations ops, StructuredPlan plan, Acts a1, Acts a2, boolean same, NtkMode mode,
                           int o, DeviceBuffer theta, DeviceBuffer gh, DeviceBuffer part, boolean first) {
        int t1 = a1.rows;
        int t2 = a2.rows;
        ops.poison(gh);
        ops.k.gram(ops.elem, false, t1, t2, in, a1.out[i].address(), in, 0, a2.out[i].address(), in, 0, gh.address(),
                t2, 0, 1.0, 0.0, 1, plan.gramSplits(), part.address(), same);
        ops.k.structLayer(ops.elem, mode, t1, t2, o, out, a1.delta[i + 1].address(), a2.delta[i + 1].address(),
                gh.address(), t2, c * c, s * s, first ? 0.0 : 1.0, theta.address(), plan.structSplits(),
                part.address());
    }
}

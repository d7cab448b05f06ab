package org.ntk4j.cuda;

import java.util.function.IntToLongFunction;
import org.ntk4j.Implementation;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.internal.KernelArrays;
import org.ntk4j.model.Architecture;
import org.ntk4j.tiling.TilePlacer;
import org.ntk4j.tiling.TilePlan;

/**
 * The NTK on the device in tiles of x1 × x2 examples ({@link TilePlan}): the largest square tile whose activations,
 * deltas and fp64 outputs fit the call's memory ({@link CudaMemoryPlanner}) and the device's grid limits; for Θ(x, x)
 * only the tiles on and above the diagonal are computed, each off-diagonal one also written transposed
 * ({@link TilePlacer}), and each diagonal tile's lower half mirrored from its upper half. FP32 and TF32 kernels are
 * assembled in float32 storage. Each tile is computed by {@link CudaOperations#structuredTile} or
 * {@link CudaOperations#jcTile}.
 */
final class CudaTiler {
    private final CudaOperations ops;
    private final CudaMemoryPlanner memory;

    CudaTiler(CudaOperations ops, CudaMemoryPlanner memory) {
        this.ops = ops;
        this.memory = memory;
    }

    Tensor ntk(DeviceNet net, Workspace ws, long avail, long modelBytes, Matrix x1, Matrix x2r, boolean symmetric,
               NtkMode mode, Implementation impl) {
        Architecture a = net.a;
        int n1 = x1.rows();
        int n2 = x2r.rows();
        int o = a.outputDim();
        int vpp = mode.valuesPerPair(o);
        boolean jc = impl == Implementation.JACOBIAN_CONTRACTION;
        long per = CudaMemoryPlanner.actsPerExample(net.layers, o) * ops.elem.bytes;
        // Tile of examples per side: activations of two tiles, the fp64 outputs (Θ, the h-Gram and a workspace of
        // each, which an fp32 reduction longer than one slice needs), for JC also G, its workspace and the full
        // layout, plus a quarter for split-K partials and J column chunks.
        IntToLongFunction cost = t -> {
            long tt = (long) t * t;
            long c = 2L * t * per + tt * (2L * vpp + 2) * 8;
            if (jc) {
                c += tt * o * o * 8 * 3 + 2L * t * o * ops.elem.bytes * KernelLaunches.J_LD_ALIGN;
            }
            return c + c / 3;
        };
        int tile = CudaMemoryPlanner.fitTile(Math.max(n1, n2), CudaMemoryPlanner.gridCap(o), avail, cost);
        if (tile == 0) {
            throw memory.tooBig("the NTK", modelBytes + cost.applyAsLong(1), modelBytes);
        }
        TilePlan tiles = TilePlan.of(n1, n2, tile, symmetric);
        // fp32 results are fp32-rounded already (each tile's values once, on download): the kernel is assembled in
        // float32 storage, exactly, at half the memory
        double[] out64 = null;
        float[] out32 = null;
        TilePlacer.Sink<RuntimeException> sink;
        if (ops.elem == KernelLaunches.Elem.F32) {
            out32 = new float[n1 * n2 * vpp];
            sink = TilePlacer.into(new Tensor(new int[] {out32.length}, out32)); // each value rounded to float
        } else {
            out64 = new double[n1 * n2 * vpp];
            sink = TilePlacer.into(out64);
        }
        TilePlacer<RuntimeException> placer = new TilePlacer<>(tiles, mode, o, sink);
        for (int i = 0; i < tiles.blocks1(); i++) {
            int i0 = tiles.rowStart(i);
            DeviceLayer.Acts a1 = ops.forwardTile(net, ws, "a", x1, i0, tiles.rowEnd(i) - i0);
            ops.ntkDeltas(net, ws, "a", a1);
            for (TilePlan.Tile t : tiles.row(i)) {
                boolean same = t.diagonal();
                DeviceLayer.Acts a2 = a1;
                if (!same) {
                    a2 = ops.forwardTile(net, ws, "b", x2r, t.col0(), t.cols());
                    ops.ntkDeltas(net, ws, "b", a2);
                }
                long left = avail - 2L * tile * per;
                double[] values = jc ? ops.jcTile(net, ws, a1, a2, same, mode, left, modelBytes)
                        : ops.structuredTile(net, ws, a1, a2, same, mode, left);
                if (same) { // a diagonal tile's kernels fill its upper half: its lower half is the mirror
                    KernelArrays.mirrorUpperPairs(values, t.rows(), mode, o);
                }
                placer.place(t, values);
            }
        }
        int[] shape = mode.shape(n1, n2, o);
        return out32 != null ? new Tensor(shape, out32) : new Tensor(shape, out64);
    }
}

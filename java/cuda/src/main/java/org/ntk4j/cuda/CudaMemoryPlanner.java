package org.ntk4j.cuda;

import java.util.List;
import java.util.function.IntToLongFunction;
import org.ntk4j.NtkException;
import org.ntk4j.model.Architecture;

/**
 * How much device memory a call of the CUDA backend may use, and how its work is sized to fit: the budget (the
 * configured memory budget, else a fraction of the free memory when the call starts), the device bytes per example of
 * a model's activations and deltas, the largest tile of examples whose cost fits, the grid limits on a tile, and the
 * Jacobian's column chunk. A call that cannot fit gets an {@link NtkException} naming what needed how much.
 */
final class CudaMemoryPlanner {
    private final CudaDevice dev;
    private final double memoryFraction;
    private long budgetOverride;

    /**
     * @param memoryFraction the share of the free memory a call may use when no budget is set
     * @param budget         bytes a call may use, or ≤ 0 for the fraction of the free memory
     */
    CudaMemoryPlanner(CudaDevice dev, double memoryFraction, long budget) {
        this.dev = dev;
        this.memoryFraction = memoryFraction;
        this.budgetOverride = budget > 0 ? budget : -1;
    }

    /** Caps the device memory one call may use (bytes; negative: the default fraction of free memory). */
    void setBudget(long bytes) {
        this.budgetOverride = bytes;
    }

    /**
     * Bytes a call may use for its work: the budget less the model's bytes when a budget is set; else the fraction
     * of the free memory (plus what the workspace already holds, which the call reuses), less the model's bytes when
     * the call has yet to allocate the model.
     */
    long working(Workspace ws, long modelBytes, boolean modelResident) {
        return working(ws.bytes(), modelBytes, modelResident);
    }

    private long working(long workspaceBytes, long modelBytes, boolean modelResident) {
        if (budgetOverride >= 0) {
            return budgetOverride - modelBytes;
        }
        long free = dev.memoryInfo()[0] + workspaceBytes;
        return (long) (free * memoryFraction) - (modelResident ? 0 : modelBytes);
    }

    private long budgetForMessages(long modelBytes) {
        return budgetOverride >= 0 ? budgetOverride : modelBytes + Math.max(0, working(0, modelBytes, false));
    }

    /** The failure of a call whose {@code what} needs at least {@code need} bytes, the model's included. */
    NtkException tooBig(String what, long need, long modelBytes) {
        return new NtkException(what + " needs at least " + need + " bytes of device memory but the budget is "
                + budgetForMessages(modelBytes) + " bytes (the memory budget, or the memoryFraction option)");
    }

    /** Device elements of the layers' parameters (with {@code transposes}, also of the transposes they keep). */
    static long netElements(List<DeviceLayer> layers, boolean transposes) {
        long n = 0;
        for (DeviceLayer layer : layers) {
            n += layer.parameterElements(transposes);
        }
        return n;
    }

    /** {@link #netElements(List, boolean)} of this architecture's layers. */
    static long netElements(Architecture a, boolean transposes) {
        return netElements(DeviceLayer.sequence(a), transposes);
    }

    /** Device elements per example of the layers' activations and, with {@code rpe} rows per example, their δs. */
    static long actsPerExample(List<DeviceLayer> layers, int rpe) {
        long s = 0;
        for (DeviceLayer layer : layers) {
            s += layer.activationElements(rpe);
        }
        return s;
    }

    /** Largest tile of examples (≤ n, ≤ cap) for which {@code cost(tile)} bytes fit, or 0. */
    static int fitTile(int n, long cap, long avail, IntToLongFunction cost) {
        int t = (int) Math.min(n, Math.max(1, cap));
        while (t > 1 && cost.applyAsLong(t) > avail) {
            t = (t + 1) / 2;
        }
        return cost.applyAsLong(t) <= avail ? t : 0;
    }

    /**
     * Most examples per tile when each has {@code rowsPerExample} rows in some launch: every grid y counts row blocks
     * of at least 32 rows (the mirror pass's; the GEMM tiles are 64 or 128), and y is at most
     * {@link KernelLaunches#MAX_GRID_YZ}.
     */
    static long gridCap(int rowsPerExample) {
        return (long) KernelLaunches.MAX_GRID_YZ * 32 / Math.max(1, rowsPerExample);
    }

    /**
     * Columns of P per Jacobian chunk: what fits {@code elements} for {@code rows} rows, a multiple of
     * {@link KernelLaunches#J_LD_ALIGN}; with cuBLAS also at most what its 32-bit sizes and leading dimensions take.
     */
    static long jcChunk(long p, long rows, long elements, boolean cublas) {
        long pc = Math.min(p, elements / Math.max(1, rows));
        if (cublas) {
            pc = Math.min(pc, (Integer.MAX_VALUE / KernelLaunches.J_LD_ALIGN) * (long) KernelLaunches.J_LD_ALIGN);
        }
        if (pc < p) {
            pc = pc / KernelLaunches.J_LD_ALIGN * KernelLaunches.J_LD_ALIGN;
        }
        return pc;
    }
}

package org.ntk4j.cuda;

import java.util.Arrays;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/** W^l, b^l and (optionally) (W^l)ᵀ of a model on the device, in the backend's precision. */
final class DeviceNet implements AutoCloseable {
    /** Host rows generated per upload when parameters are streamed from their seed (8 MiB of doubles). */
    private static final int STREAM_VALUES = 1 << 20;

    final Architecture a;
    final DeviceBuffer[] w;
    final DeviceBuffer[] wt;
    final DeviceBuffer[] b;
    private final CudaDevice dev;
    private final KernelLaunches k;
    private final KernelLaunches.Elem elem;

    /**
     * Allocates (values undefined until an upload). The kernels run dense chains (dense layers, each with its own
     * σ_w, σ_b and bias, at most one activation between two of them): any other sequence is refused here, before
     * anything is allocated, naming its first layer that breaks that form.
     */
    DeviceNet(CudaDevice dev, KernelLaunches k, KernelLaunches.Elem elem, Architecture a, boolean transposes) {
        a.chainActivations("the cuda backend");
        this.dev = dev;
        this.k = k;
        this.elem = elem;
        this.a = a;
        int layers = a.layers();
        w = new DeviceBuffer[layers];
        wt = new DeviceBuffer[layers];
        b = new DeviceBuffer[layers];
        try {
            for (int l = 0; l < layers; l++) {
                w[l] = dev.allocate(a.weightCount(l), elem.bytes);
                if (transposes) {
                    wt[l] = dev.allocate(a.weightCount(l), elem.bytes);
                }
                if (a.hasBias(l)) {
                    b[l] = dev.allocate(a.width(l + 1), elem.bytes);
                }
            }
        } catch (RuntimeException e) {
            Release r = new Release(e);
            r.run(this::close);
            r.rethrow();
        }
    }

    /** Uploads these parameters (and forms the transposes). */
    DeviceNet load(Parameters p) {
        for (int l = 0; l < a.layers(); l++) {
            dev.upload(w[l], 0, p.weights(l), 0, p.weights(l).length);
            if (a.hasBias(l)) {
                dev.upload(b[l], 0, p.bias(l), 0, a.width(l + 1));
            }
        }
        transposeAll();
        return this;
    }

    /**
     * Writes {@code Parameters.init(a, seed)} into each of {@code nets} (W, b; then their transposes) without ever
     * holding a layer on the host: rows of W^l are generated with {@link Parameters#initialRow} in blocks of about
     * {@value #STREAM_VALUES} values and uploaded block by block.
     */
    static void loadInitial(long seed, DeviceNet... nets) {
        Architecture a = nets[0].a;
        CudaDevice dev = nets[0].dev;
        for (int l = 0; l < a.layers(); l++) {
            int in = a.width(l);
            int out = a.width(l + 1);
            int rowsPer = Math.max(1, STREAM_VALUES / in);
            double[] row = new double[in];
            double[] block = new double[(int) Math.min((long) rowsPer * in, (long) out * in)];
            double[] bias = a.hasBias(l) ? new double[out] : null;
            for (int i0 = 0; i0 < out; i0 += rowsPer) {
                int rows = Math.min(rowsPer, out - i0);
                for (int i = 0; i < rows; i++) {
                    double bi = Parameters.initialRow(a, seed, l, i0 + i, row);
                    System.arraycopy(row, 0, block, i * in, in);
                    if (bias != null) {
                        bias[i0 + i] = bi;
                    }
                }
                for (DeviceNet n : nets) {
                    dev.upload(n.w[l], (long) i0 * in, block, 0, rows * in);
                }
            }
            if (bias != null) {
                for (DeviceNet n : nets) {
                    dev.upload(n.b[l], 0, bias, 0, out);
                }
            }
        }
        for (DeviceNet n : nets) {
            n.transposeAll();
        }
    }

    /** Forms (W^l)ᵀ from W^l for every layer (after an upload or a gradient step). */
    void transposeAll() {
        if (wt[0] == null) {
            return;
        }
        for (int l = 0; l < a.layers(); l++) {
            k.transpose(elem, a.width(l + 1), a.width(l), w[l].address(), a.width(l), wt[l].address(),
                    a.width(l + 1));
        }
    }

    long bias(int l) {
        return b[l] == null ? 0L : b[l].address();
    }

    long bytes() {
        return CudaMemoryPlanner.netElements(a, wt[0] != null) * elem.bytes;
    }

    @Override
    public void close() {
        Release r = new Release();
        r.close(Arrays.asList(w));
        r.close(Arrays.asList(wt));
        r.close(Arrays.asList(b));
        r.rethrow();
    }
}

package org.ntk4j.cuda;

import java.util.Arrays;
import org.ntk4j.model.Parameters;

/**
 * One layer's parameters on the device, in the backend's element type: W^l (as {@link Parameters} lays it out), its
 * transpose when the layer's backward reads one, and b^l when the layer has a bias. The layer's class decides what
 * they hold and forms the transposes ({@link DeviceLayer#refresh}); moving values between host and device is the
 * same for every kind.
 */
final class DeviceParameters implements AutoCloseable {
    /** The layer's index among the layers with parameters (its place in {@link Parameters}). */
    final int l;
    final DeviceBuffer w;
    final DeviceBuffer wt;
    final DeviceBuffer b;

    /** Allocates (values undefined); frees what it got when an allocation fails. */
    DeviceParameters(CudaDevice dev, KernelLaunches.Elem elem, int l, long weights, int biases, boolean transposes) {
        this.l = l;
        DeviceBuffer[] got = new DeviceBuffer[3];
        try {
            got[0] = dev.allocate(weights, elem.bytes);
            if (transposes) {
                got[1] = dev.allocate(weights, elem.bytes);
            }
            if (biases > 0) {
                got[2] = dev.allocate(biases, elem.bytes);
            }
        } catch (RuntimeException e) {
            Release r = new Release(e);
            r.close(Arrays.asList(got));
            r.rethrow();
            throw e;
        }
        w = got[0];
        wt = got[1];
        b = got[2];
    }

    /** The bias's address, or 0 (no bias) for the kernels. */
    long bias() {
        return b == null ? 0L : b.address();
    }

    /** Uploads W^l and b^l from the host (the transposes are the layer's to form). */
    void upload(CudaDevice dev, Parameters p) {
        dev.upload(w, 0, p.weights(l), 0, p.weights(l).length);
        if (b != null) {
            dev.upload(b, 0, p.bias(l), 0, p.bias(l).length);
        }
    }

    /** Downloads W^l and b^l into the host parameters. */
    void download(CudaDevice dev, Parameters p) {
        dev.download(w, 0, p.weights(l), 0, p.weights(l).length);
        if (b != null) {
            dev.download(b, 0, p.bias(l), 0, p.bias(l).length);
        }
    }

    @Override
    public void close() {
        Release r = new Release();
        r.close(Arrays.asList(w, wt, b));
        r.rethrow();
    }
}

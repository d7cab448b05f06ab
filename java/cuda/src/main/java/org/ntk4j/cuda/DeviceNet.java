package org.ntk4j.cuda;

import java.util.Arrays;
import java.util.List;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * A model on the device: its {@link DeviceLayer}s and, for each layer with parameters, their
 * {@link DeviceParameters} in the backend's precision (with the transposes its backward reads, when asked for).
 */
final class DeviceNet implements AutoCloseable {
    /** Host rows generated per upload when parameters are streamed from their seed (8 MiB of doubles). */
    private static final int STREAM_VALUES = 1 << 20;

    final Architecture a;
    final List<DeviceLayer> layers;
    /** By sequence index; null for a layer without parameters. */
    private final DeviceParameters[] params;
    /** The sequence index of the first layer with parameters: the backward pass stops there. */
    final int firstWithParameters;
    private final boolean transposes;
    private final CudaDevice dev;
    private final CudaOperations ops;

    /**
     * Allocates (values undefined until an upload). A sequence the kernels cannot run is refused by
     * {@link DeviceLayer#sequence}, before anything is allocated, naming its first layer they cannot run.
     */
    DeviceNet(CudaDevice dev, CudaOperations ops, Architecture a, boolean transposes) {
        this.layers = DeviceLayer.sequence(a);
        this.dev = dev;
        this.ops = ops;
        this.a = a;
        this.transposes = transposes;
        this.params = new DeviceParameters[layers.size()];
        this.firstWithParameters = a.sequenceIndex(0);
        try {
            for (DeviceLayer layer : layers) {
                params[layer.index()] = layer.allocate(dev, ops.elem, transposes);
            }
        } catch (RuntimeException e) {
            Release r = new Release(e);
            r.run(this::close);
            r.rethrow();
        }
    }

    /** Layer i's parameters on the device (null for a layer without parameters). */
    DeviceParameters parameters(int i) {
        return params[i];
    }

    /** Uploads these parameters (and forms what the layers derive from them). */
    DeviceNet load(Parameters p) {
        for (DeviceParameters q : params) {
            if (q != null) {
                q.upload(dev, p);
            }
        }
        refresh();
        return this;
    }

    /** Downloads the parameters into {@code p} (of this architecture). */
    void download(Parameters p) {
        for (DeviceParameters q : params) {
            if (q != null) {
                q.download(dev, p);
            }
        }
    }

    /**
     * Writes {@code Parameters.init(a, seed)} into each of {@code nets} without ever holding a layer on the host (see
     * {@link DeviceLayer#uploadInitial}), then forms what the layers derive from them.
     */
    static void loadInitial(long seed, DeviceNet... nets) {
        DeviceNet first = nets[0];
        for (DeviceLayer layer : first.layers) {
            DeviceParameters[] copies = new DeviceParameters[nets.length];
            for (int n = 0; n < nets.length; n++) {
                copies[n] = nets[n].params[layer.index()];
            }
            layer.uploadInitial(first.dev, seed, STREAM_VALUES, copies);
        }
        for (DeviceNet n : nets) {
            n.refresh();
        }
    }

    /** Forms what each layer derives from its parameters (the transposes) after an upload or a gradient step. */
    void refresh() {
        for (DeviceLayer layer : layers) {
            layer.refresh(ops, params[layer.index()]);
        }
    }

    long bytes() {
        return CudaMemoryPlanner.netElements(layers, transposes) * ops.elem.bytes;
    }

    @Override
    public void close() {
        Release r = new Release();
        r.close(Arrays.asList(params));
        r.rethrow();
    }
}

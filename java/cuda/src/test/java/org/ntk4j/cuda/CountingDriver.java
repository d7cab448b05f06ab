package org.ntk4j.cuda;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.ntk4j.Precision;

/**
 * The real driver (the GPU's, or the emulator's), with every call counted: lets a test check what a run did — that it
 * tiled (more launches than the untiled run), that it freed every device allocation — not only what it returned.
 */
final class CountingDriver {
    private final Map<String, Long> calls = new ConcurrentHashMap<>();
    final CudaBackend backend;

    private CountingDriver(Precision precision) {
        CudaProbe.Result r = CudaProbe.get();
        CudaDriver real = r.driver();
        CudaDriver counted = (CudaDriver) Proxy.newProxyInstance(CudaDriver.class.getClassLoader(),
                new Class<?>[] {CudaDriver.class}, (proxy, method, args) -> {
                    calls.merge(method.getName(), 1L, Long::sum);
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        backend = new CudaBackend(CudaDevice.openWith(counted, r.device(), r.image()), precision);
    }

    /** A backend on the probed device whose driver calls are counted (the caller closes {@link #backend}). */
    static CountingDriver open(Precision precision) {
        Gpu.require();
        return new CountingDriver(precision);
    }

    /** Calls of one driver method so far, e.g. "launch". */
    long calls(String method) {
        return calls.getOrDefault(method, 0L);
    }

    /** Device allocations not freed. */
    long liveDeviceAllocations() {
        return calls("malloc") - calls("free");
    }

    /** Page-locked host allocations not freed (the device's one staging buffer among them once it was used). */
    long livePinnedAllocations() {
        return calls("mallocHost") - calls("freeHost");
    }
}

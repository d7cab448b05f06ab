package org.ntk4j.cuda;

import java.nio.ByteBuffer;

/**
 * The CUDA driver-API calls ntk4j makes, and nothing else. The one implementation today is {@link JCudaBinding}
 * (JCuda 12.6.0); everything above this interface speaks in plain Java values (device addresses are {@code long}s,
 * kernel arguments boxed numbers), so an implementation over {@code java.lang.foreign} and {@code libcuda.so.1}
 * can replace it without touching the rest of the package.
 *
 * <p>Only current entry points are used: primary contexts ({@code cuDevicePrimaryCtxRetain}, {@code cuCtxSetCurrent}),
 * {@code cuDeviceGetAttribute}, {@code cuModuleLoadData}, {@code cuLaunchKernel}. Legacy calls that CUDA 13 drivers no
 * longer export ({@code cuCtxAttach}, {@code cuDeviceComputeCapability}, {@code cuDeviceGetProperties},
 * {@code cuCtxCreate}) must never be called: through JCuda's lazily bound library they end the process with a symbol
 * lookup error instead of returning an error code.
 *
 * <p>Every method checks the driver's result and throws {@link CudaException} (or {@link CudaOutOfMemoryException})
 * naming the CUDA error.
 */
interface CudaDriver {

    /** An opaque driver object (context, module, function, stream, event). */
    interface Handle {
    }

    /** A device allocation: its base address and size. */
    interface DeviceMemory {
        long address();

        long bytes();
    }

    /** A page-locked host allocation with a direct-buffer view in native byte order. */
    interface HostMemory {
        ByteBuffer buffer();

        long bytes();
    }

    /** Static device facts read with cuDeviceGetAttribute and friends. */
    record DeviceInfo(int ordinal, String name, int ccMajor, int ccMinor, int multiprocessors, long totalMemory,
                      int l2Bytes) {
    }

    /** cuInit(0). */
    void init();

    int driverVersion();

    int deviceCount();

    DeviceInfo deviceInfo(int ordinal);

    /** Retains the device's primary context (cuDevicePrimaryCtxRetain). */
    Handle retainPrimaryContext(int ordinal);

    void releasePrimaryContext(int ordinal);

    /** Makes the context current on the calling thread (cuCtxSetCurrent). */
    void setCurrent(Handle context);

    Handle loadModule(byte[] image);

    void unloadModule(Handle module);

    Handle function(Handle module, String name);

    Handle createStream();

    void destroyStream(Handle stream);

    void synchronize(Handle stream);

    Handle createEvent();

    void destroyEvent(Handle event);

    void record(Handle event, Handle stream);

    /** Milliseconds between two recorded events (waits for the second). */
    float elapsedMillis(Handle start, Handle end);

    DeviceMemory malloc(long bytes);

    void free(DeviceMemory memory);

    HostMemory mallocHost(long bytes);

    void freeHost(HostMemory memory);

    /** {free, total} bytes of device memory. */
    long[] memoryInfo();

    void copyHostToDevice(DeviceMemory dst, long dstOffset, HostMemory src, long srcOffset, long bytes, Handle stream);

    void copyDeviceToHost(HostMemory dst, long dstOffset, DeviceMemory src, long srcOffset, long bytes, Handle stream);

    /** Sets {@code count} 32-bit words starting at {@code dstOffset} (a multiple of 4) to {@code value}. */
    void memsetD32(DeviceMemory dst, long dstOffset, int value, long count, Handle stream);

    /**
     * cuLaunchKernel. Each argument is an {@link Integer} (C int), {@link Long} (long long, or a device pointer given
     * as its address), {@link Float} or {@link Double}; their order and types must match the kernel's signature.
     */
    void launch(Handle function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int sharedBytes,
                Handle stream, Object... args);

    /** A short description of the binding, e.g. "JCuda 12.6.0". */
    String description();
}

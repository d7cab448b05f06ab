package org.ntk4j.cuda;

import java.nio.ByteBuffer;

/** Page-locked host memory (cuMemAllocHost) for fast, asynchronous transfers. Closing frees it (once). */
public final class PinnedBuffer implements AutoCloseable {
    private final CudaDevice device;
    private final CudaDriver.HostMemory memory;
    private boolean closed;

    PinnedBuffer(CudaDevice device, CudaDriver.HostMemory memory) {
        this.device = device;
        this.memory = memory;
    }

    /** A native-order view of the memory; valid until {@link #close()}. */
    public ByteBuffer buffer() {
        if (closed) {
            throw new IllegalStateException("pinned buffer already freed");
        }
        return memory.buffer();
    }

    public long bytes() {
        return memory.bytes();
    }

    CudaDriver.HostMemory memory() {
        if (closed) {
            throw new IllegalStateException("pinned buffer already freed");
        }
        return memory;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            device.releaseHost(memory);
        }
    }
}

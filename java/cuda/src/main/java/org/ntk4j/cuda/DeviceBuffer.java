package org.ntk4j.cuda;

/**
 * Device memory holding {@code elements} values of {@code elementBytes} each. Closing frees it (once); the owning
 * {@link CudaDevice} counts live buffers so tests can prove nothing leaks.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final CudaDevice device;
    private final CudaDriver.DeviceMemory memory;
    private final long elements;
    private final int elementBytes;
    private boolean closed;

    DeviceBuffer(CudaDevice device, CudaDriver.DeviceMemory memory, long elements, int elementBytes) {
        this.device = device;
        this.memory = memory;
        this.elements = elements;
        this.elementBytes = elementBytes;
    }

    /** Device address of the first element. */
    public long address() {
        requireOpen();
        return memory.address();
    }

    /** Device address of element {@code index}. */
    public long address(long index) {
        requireOpen();
        return memory.address() + index * elementBytes;
    }

    public long elements() {
        return elements;
    }

    public int elementBytes() {
        return elementBytes;
    }

    public long bytes() {
        return elements * elementBytes;
    }

    CudaDriver.DeviceMemory memory() {
        requireOpen();
        return memory;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("device buffer already freed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            device.release(this, memory);
        }
    }
}

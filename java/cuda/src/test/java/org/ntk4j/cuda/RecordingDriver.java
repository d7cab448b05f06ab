package org.ntk4j.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link CudaDriver} without a GPU: allocations are address ranges, copies are bounds-checked (device-to-host copies
 * deliver zeros), launches are recorded. Lets the backend's planning, tiling and launch code run on any machine.
 *
 * <p>It also models a device fault: after {@link #faultAfterLaunches} launches the context holds a sticky
 * CUDA_ERROR_ILLEGAL_ADDRESS, which every later call on it returns (frees, synchronisations, copies, launches, and the
 * stream and module releases, which still release their object), until the primary context is released by its last
 * holder — as on a real driver, where that destroys the context and a later retain gets a fresh one.
 */
final class RecordingDriver implements CudaDriver {
    record Launch(String name, int gx, int gy, int gz, int bx, int by, int bz, Object[] args) {
    }

    private record H(String what) implements Handle {
    }

    private record Mem(long address, long bytes) implements DeviceMemory {
    }

    private record Host(ByteBuffer buffer, long bytes) implements HostMemory {
    }

    private static final byte[] ZEROS = new byte[1 << 16];
    final List<Launch> launches = new ArrayList<>();
    final TreeMap<Long, Long> live = new TreeMap<>();
    int liveHost;
    int contextRefs;
    int streams;
    int modules;
    /** Launches after which the context faults (negative: never). */
    int faultAfterLaunches = -1;
    private boolean sticky;
    private final long total;
    private long free;
    private long next = 1L << 40;

    RecordingDriver(long memoryBytes) {
        this.total = memoryBytes;
        this.free = memoryBytes;
    }

    private void failIfSticky(String call) {
        if (sticky) {
            throw new CudaException(call, 700, "CUDA_ERROR_ILLEGAL_ADDRESS");
        }
    }

    private void requireInside(long address, long bytes, String what) {
        Map.Entry<Long, Long> e = live.floorEntry(address);
        if (e == null || address + bytes > e.getKey() + e.getValue()) {
            throw new AssertionError(what + ": range [" + address + ", +" + bytes + ") is outside every live allocation");
        }
    }

    @Override
    public void init() {
    }

    @Override
    public int driverVersion() {
        return 13000;
    }

    @Override
    public int deviceCount() {
        return 1;
    }

    @Override
    public DeviceInfo deviceInfo(int ordinal) {
        return new DeviceInfo(ordinal, "recording device", 9, 0, 132, total, 50 << 20);
    }

    @Override
    public Handle retainPrimaryContext(int ordinal) {
        contextRefs++;
        return new H("context");
    }

    @Override
    public void releasePrimaryContext(int ordinal) {
        if (contextRefs == 0) {
            throw new AssertionError("primary context released more often than retained");
        }
        if (--contextRefs == 0) { // the context is destroyed: its memory and its sticky error go with it
            if (sticky) {
                live.clear();
                liveHost = 0;
            }
            sticky = false;
        }
    }

    @Override
    public void setCurrent(Handle context) {
    }

    @Override
    public Handle loadModule(byte[] image) {
        failIfSticky("cuModuleLoadData");
        modules++;
        return new H("module");
    }

    @Override
    public void unloadModule(Handle module) {
        modules--;
        failIfSticky("cuModuleUnload");
    }

    @Override
    public Handle function(Handle module, String name) {
        return new H(name);
    }

    @Override
    public Handle createStream() {
        failIfSticky("cuStreamCreate");
        streams++;
        return new H("stream");
    }

    @Override
    public void destroyStream(Handle stream) {
        streams--;
        failIfSticky("cuStreamDestroy");
    }

    int synchronizeCalls;

    @Override
    public void synchronize(Handle stream) {
        synchronizeCalls++;
        failIfSticky("cuStreamSynchronize");
    }

    @Override
    public Handle createEvent() {
        return new H("event");
    }

    @Override
    public void destroyEvent(Handle event) {
    }

    @Override
    public void record(Handle event, Handle stream) {
    }

    @Override
    public float elapsedMillis(Handle start, Handle end) {
        return 1f;
    }

    @Override
    public DeviceMemory malloc(long bytes) {
        failIfSticky("cuMemAlloc");
        if (bytes > free) {
            throw new CudaOutOfMemoryException("cuMemAlloc", bytes, 2, "CUDA_ERROR_OUT_OF_MEMORY");
        }
        long a = next;
        next += (bytes + 511) / 256 * 256 + 256;
        live.put(a, bytes);
        free -= bytes;
        return new Mem(a, bytes);
    }

    @Override
    public void free(DeviceMemory memory) {
        failIfSticky("cuMemFree");
        Long b = live.remove(memory.address());
        if (b == null) {
            throw new AssertionError("free of an address that is not allocated (double free?)");
        }
        free += b;
    }

    @Override
    public HostMemory mallocHost(long bytes) {
        liveHost++;
        return new Host(ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder()), bytes);
    }

    @Override
    public void freeHost(HostMemory memory) {
        failIfSticky("cuMemFreeHost");
        liveHost--;
    }

    @Override
    public long[] memoryInfo() {
        return new long[] {free, total};
    }

    @Override
    public void copyHostToDevice(DeviceMemory dst, long dstOffset, HostMemory src, long srcOffset, long bytes,
                                 Handle stream) {
        failIfSticky("cuMemcpyHtoDAsync");
        requireInside(dst.address() + dstOffset, bytes, "copyHostToDevice");
        if (srcOffset + bytes > src.bytes()) {
            throw new AssertionError("copyHostToDevice reads past the host buffer");
        }
    }

    @Override
    public void copyDeviceToHost(HostMemory dst, long dstOffset, DeviceMemory src, long srcOffset, long bytes,
                                 Handle stream) {
        failIfSticky("cuMemcpyDtoHAsync");
        requireInside(src.address() + srcOffset, bytes, "copyDeviceToHost");
        if (dstOffset + bytes > dst.bytes()) {
            throw new AssertionError("copyDeviceToHost writes past the host buffer");
        }
        ByteBuffer b = dst.buffer();
        for (long i = 0; i < bytes; i += ZEROS.length) {
            b.put((int) (dstOffset + i), ZEROS, 0, (int) Math.min(ZEROS.length, bytes - i));
        }
    }

    @Override
    public void memsetD32(DeviceMemory dst, long dstOffset, int value, long count, Handle stream) {
        requireInside(dst.address() + dstOffset, count * 4, "memsetD32");
    }

    @Override
    public void launch(Handle function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                       int sharedBytes, Handle stream, Object... args) {
        failIfSticky("cuLaunchKernel");
        if (faultAfterLaunches >= 0 && launches.size() >= faultAfterLaunches) {
            sticky = true; // the launch is accepted; the fault shows at the next call that waits or frees
        }
        for (Object a : args) {
            // Addresses start at 2^40 here and no size or count comes near it: such a value must point into memory
            // that is allocated when the kernel is launched.
            if (a instanceof Long v && v >= (1L << 40)) {
                requireInside(v, 1, ((H) function).what() + " argument");
            }
        }
        launches.add(new Launch(((H) function).what(), gridX, gridY, gridZ, blockX, blockY, blockZ, args.clone()));
    }

    @Override
    public String description() {
        return "recording driver";
    }
}

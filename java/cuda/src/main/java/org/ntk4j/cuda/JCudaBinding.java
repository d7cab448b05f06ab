package org.ntk4j.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * {@link CudaDriver} over JCuda 12.6.0's driver API. Constructing it loads {@code libJCudaDriver} (through
 * {@link JCudaLibrary}), which needs {@code libcuda.so.1}: construct it only after {@link CudaProbe} found the driver
 * library.
 *
 * <p>Calls used, all of them current in CUDA 12 and 13 drivers: cuInit, cuDriverGetVersion, cuDeviceGetCount,
 * cuDeviceGet, cuDeviceGetName, cuDeviceGetAttribute, cuDeviceTotalMem(_v2), cuDevicePrimaryCtxRetain,
 * cuDevicePrimaryCtxRelease(_v2), cuCtxSetCurrent, cuModuleLoadData, cuModuleUnload, cuModuleGetFunction,
 * cuLaunchKernel, cuMemAlloc(_v2), cuMemFree(_v2), cuMemAllocHost(_v2), cuMemFreeHost, cuMemGetInfo(_v2),
 * cuMemcpyHtoDAsync(_v2), cuMemcpyDtoHAsync(_v2), cuMemsetD32Async, cuStreamCreate, cuStreamSynchronize,
 * cuStreamDestroy(_v2), cuEventCreate, cuEventRecord, cuEventSynchronize, cuEventElapsedTime, cuEventDestroy(_v2).
 */
final class JCudaBinding implements CudaDriver {

    /** JCuda device pointer whose address can be read (the native pointer plus JCuda's byte offset). */
    static final class DevPtr extends CUdeviceptr {
        DevPtr() {
        }

        DevPtr(DevPtr base, long byteOffset) {
            super(base, byteOffset);
        }

        long address() {
            return getNativePointer() + getByteOffset();
        }
    }

    private record Obj<T>(T value) implements Handle {
    }

    private static final class DevMem implements DeviceMemory {
        final DevPtr ptr;
        final long bytes;

        DevMem(DevPtr ptr, long bytes) {
            this.ptr = ptr;
            this.bytes = bytes;
        }

        @Override
        public long address() {
            return ptr.address();
        }

        @Override
        public long bytes() {
            return bytes;
        }

        DevPtr at(long offset) {
            return offset == 0 ? ptr : new DevPtr(ptr, offset);
        }
    }

    private static final class HostMem implements HostMemory {
        final Pointer ptr;
        final long bytes;
        final ByteBuffer buffer;

        HostMem(Pointer ptr, long bytes) {
            this.ptr = ptr;
            this.bytes = bytes;
            this.buffer = ptr.getByteBuffer(0, bytes).order(ByteOrder.nativeOrder());
        }

        @Override
        public ByteBuffer buffer() {
            return buffer;
        }

        @Override
        public long bytes() {
            return bytes;
        }
    }

    JCudaBinding() {
        JCudaLibrary.load(); // extracted atomically into ntk4j's cache, never by JCuda into java.io.tmpdir; exceptions off
    }

    static void check(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new CudaException(call, result, CUresult.stringFor(result));
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T unwrap(Handle h) {
        return ((Obj<T>) h).value();
    }

    private static CUdevice dev(int ordinal) {
        CUdevice d = new CUdevice();
        check(JCudaDriver.cuDeviceGet(d, ordinal), "cuDeviceGet(" + ordinal + ")");
        return d;
    }

    @Override
    public void init() {
        check(JCudaDriver.cuInit(0), "cuInit");
    }

    @Override
    public int driverVersion() {
        int[] v = new int[1];
        check(JCudaDriver.cuDriverGetVersion(v), "cuDriverGetVersion");
        return v[0];
    }

    @Override
    public int deviceCount() {
        int[] n = new int[1];
        check(JCudaDriver.cuDeviceGetCount(n), "cuDeviceGetCount");
        return n[0];
    }

    private static int attribute(CUdevice d, int attr, String what) {
        int[] v = new int[1];
        check(JCudaDriver.cuDeviceGetAttribute(v, attr, d), "cuDeviceGetAttribute(" + what + ")");
        return v[0];
    }

    @Override
    public DeviceInfo deviceInfo(int ordinal) {
        CUdevice d = dev(ordinal);
        byte[] name = new byte[256];
        check(JCudaDriver.cuDeviceGetName(name, name.length, d), "cuDeviceGetName");
        int len = 0;
        while (len < name.length && name[len] != 0) {
            len++;
        }
        long[] total = new long[1];
        check(JCudaDriver.cuDeviceTotalMem(total, d), "cuDeviceTotalMem");
        return new DeviceInfo(ordinal, new String(name, 0, len, StandardCharsets.UTF_8),
                attribute(d, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, "cc major"),
                attribute(d, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, "cc minor"),
                attribute(d, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, "multiprocessors"),
                total[0],
                attribute(d, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, "L2 size"));
    }

    @Override
    public Handle retainPrimaryContext(int ordinal) {
        CUcontext ctx = new CUcontext();
        check(JCudaDriver.cuDevicePrimaryCtxRetain(ctx, dev(ordinal)), "cuDevicePrimaryCtxRetain");
        return new Obj<>(ctx);
    }

    @Override
    public void releasePrimaryContext(int ordinal) {
        check(JCudaDriver.cuDevicePrimaryCtxRelease(dev(ordinal)), "cuDevicePrimaryCtxRelease");
    }

    @Override
    public void setCurrent(Handle context) {
        CUcontext c = unwrap(context);
        check(JCudaDriver.cuCtxSetCurrent(c), "cuCtxSetCurrent");
    }

    @Override
    public Handle loadModule(byte[] image) {
        CUmodule m = new CUmodule();
        check(JCudaDriver.cuModuleLoadData(m, image), "cuModuleLoadData");
        return new Obj<>(m);
    }

    @Override
    public void unloadModule(Handle module) {
        CUmodule m = unwrap(module);
        check(JCudaDriver.cuModuleUnload(m), "cuModuleUnload");
    }

    @Override
    public Handle function(Handle module, String name) {
        CUmodule m = unwrap(module);
        CUfunction f = new CUfunction();
        check(JCudaDriver.cuModuleGetFunction(f, m, name), "cuModuleGetFunction(" + name + ")");
        return new Obj<>(f);
    }

    @Override
    public Handle createStream() {
        CUstream s = new CUstream();
        check(JCudaDriver.cuStreamCreate(s, 0), "cuStreamCreate");
        return new Obj<>(s);
    }

    @Override
    public void destroyStream(Handle stream) {
        CUstream s = unwrap(stream);
        check(JCudaDriver.cuStreamDestroy(s), "cuStreamDestroy");
    }

    @Override
    public void synchronize(Handle stream) {
        CUstream s = unwrap(stream);
        check(JCudaDriver.cuStreamSynchronize(s), "cuStreamSynchronize");
    }

    @Override
    public Handle createEvent() {
        CUevent e = new CUevent();
        check(JCudaDriver.cuEventCreate(e, 0), "cuEventCreate");
        return new Obj<>(e);
    }

    @Override
    public void destroyEvent(Handle event) {
        CUevent e = unwrap(event);
        check(JCudaDriver.cuEventDestroy(e), "cuEventDestroy");
    }

    @Override
    public void record(Handle event, Handle stream) {
        CUevent e = unwrap(event);
        CUstream s = unwrap(stream);
        check(JCudaDriver.cuEventRecord(e, s), "cuEventRecord");
    }

    @Override
    public float elapsedMillis(Handle start, Handle end) {
        CUevent a = unwrap(start);
        CUevent b = unwrap(end);
        check(JCudaDriver.cuEventSynchronize(b), "cuEventSynchronize");
        float[] ms = new float[1];
        check(JCudaDriver.cuEventElapsedTime(ms, a, b), "cuEventElapsedTime");
        return ms[0];
    }

    @Override
    public DeviceMemory malloc(long bytes) {
        DevPtr p = new DevPtr();
        int r = JCudaDriver.cuMemAlloc(p, Math.max(bytes, 1));
        if (r == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            throw new CudaOutOfMemoryException("cuMemAlloc", bytes, r, CUresult.stringFor(r));
        }
        check(r, "cuMemAlloc(" + bytes + " bytes)");
        return new DevMem(p, bytes);
    }

    @Override
    public void free(DeviceMemory memory) {
        check(JCudaDriver.cuMemFree(((DevMem) memory).ptr), "cuMemFree");
    }

    @Override
    public HostMemory mallocHost(long bytes) {
        Pointer p = new Pointer();
        int r = JCudaDriver.cuMemAllocHost(p, Math.max(bytes, 1));
        if (r == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            throw new CudaOutOfMemoryException("cuMemAllocHost", bytes, r, CUresult.stringFor(r));
        }
        check(r, "cuMemAllocHost(" + bytes + " bytes)");
        return new HostMem(p, Math.max(bytes, 1));
    }

    @Override
    public void freeHost(HostMemory memory) {
        check(JCudaDriver.cuMemFreeHost(((HostMem) memory).ptr), "cuMemFreeHost");
    }

    @Override
    public long[] memoryInfo() {
        long[] free = new long[1];
        long[] total = new long[1];
        check(JCudaDriver.cuMemGetInfo(free, total), "cuMemGetInfo");
        return new long[] {free[0], total[0]};
    }

    @Override
    public void copyHostToDevice(DeviceMemory dst, long dstOffset, HostMemory src, long srcOffset, long bytes,
                                 Handle stream) {
        if (bytes == 0) {
            return;
        }
        CUstream s = unwrap(stream);
        check(JCudaDriver.cuMemcpyHtoDAsync(((DevMem) dst).at(dstOffset), ((HostMem) src).ptr.withByteOffset(srcOffset),
                bytes, s), "cuMemcpyHtoDAsync");
    }

    @Override
    public void copyDeviceToHost(HostMemory dst, long dstOffset, DeviceMemory src, long srcOffset, long bytes,
                                 Handle stream) {
        if (bytes == 0) {
            return;
        }
        CUstream s = unwrap(stream);
        check(JCudaDriver.cuMemcpyDtoHAsync(((HostMem) dst).ptr.withByteOffset(dstOffset), ((DevMem) src).at(srcOffset),
                bytes, s), "cuMemcpyDtoHAsync");
    }

    @Override
    public void memsetD32(DeviceMemory dst, long dstOffset, int value, long count, Handle stream) {
        if (count == 0) {
            return;
        }
        CUstream s = unwrap(stream);
        check(JCudaDriver.cuMemsetD32Async(((DevMem) dst).at(dstOffset), value, count, s), "cuMemsetD32Async");
    }

    @Override
    public void launch(Handle function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                       int sharedBytes, Handle stream, Object... args) {
        Pointer[] params = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof Integer v) {
                params[i] = Pointer.to(new int[] {v});
            } else if (a instanceof Long v) {
                params[i] = Pointer.to(new long[] {v});
            } else if (a instanceof Float v) {
                params[i] = Pointer.to(new float[] {v});
            } else if (a instanceof Double v) {
                params[i] = Pointer.to(new double[] {v});
            } else {
                throw new IllegalArgumentException("kernel argument " + i + " has unsupported type "
                        + (a == null ? "null" : a.getClass().getName()));
            }
        }
        CUfunction f = unwrap(function);
        CUstream s = unwrap(stream);
        check(JCudaDriver.cuLaunchKernel(f, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes, s,
                Pointer.to(params), null), "cuLaunchKernel");
    }

    @Override
    public String description() {
        return "JCuda 12.6.0 driver API";
    }
}

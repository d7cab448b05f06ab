package org.ntk4j.cuda;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.ntk4j.BackendUnavailableException;

/**
 * One GPU as the backend uses it: its primary context, the kernel module, a stream, a pinned staging buffer for
 * transfers, and a count of live allocations. Not thread-safe; {@link CudaBackend} serializes calls. Every entry point
 * makes the context current on the calling thread first.
 */
public final class CudaDevice implements AutoCloseable {
    private static final long STAGING_BYTES = 8L << 20;

    private final CudaDriver driver;
    private final CudaDriver.DeviceInfo info;
    private final CudaDriver.Handle context;
    private final CudaDriver.Handle module;
    private final CudaDriver.Handle stream;
    private final Map<String, CudaDriver.Handle> functions = new HashMap<>();
    private final AtomicLong liveBuffers = new AtomicLong();
    private final AtomicLong liveBytes = new AtomicLong();
    private PinnedBuffer staging;
    private boolean closed;

    private CudaDevice(CudaDriver driver, CudaDriver.DeviceInfo info, byte[] image) {
        this.driver = driver;
        this.info = info;
        this.context = driver.retainPrimaryContext(info.ordinal());
        CudaDriver.Handle m = null;
        CudaDriver.Handle s = null;
        try {
            driver.setCurrent(context);
            m = driver.loadModule(image);
            s = driver.createStream();
        } catch (RuntimeException e) {
            if (m != null) {
                driver.unloadModule(m);
            }
            driver.releasePrimaryContext(info.ordinal());
            throw e;
        }
        this.module = m;
        this.stream = s;
    }

    /** Opens the device the probe found; throws {@link BackendUnavailableException} with the probe's reason if none. */
    public static CudaDevice open() {
        CudaProbe.Result r = CudaProbe.get();
        if (!r.available()) {
            throw new BackendUnavailableException("CUDA backend unavailable: " + r.reason());
        }
        return new CudaDevice(r.driver(), r.device(), r.image());
    }

    /** A device over any driver implementation (tests use a recording driver without a GPU). */
    static CudaDevice openWith(CudaDriver driver, CudaDriver.DeviceInfo info, byte[] image) {
        return new CudaDevice(driver, info, image);
    }

    public CudaDriver.DeviceInfo info() {
        return info;
    }

    CudaDriver driver() {
        return driver;
    }

    CudaDriver.Handle stream() {
        return stream;
    }

    /** "NVIDIA H200 (sm_90, 132 SMs, 139.8 GiB)". */
    public String describe() {
        return String.format("%s (sm_%d%d, %d SMs, %.1f GiB)", info.name(), info.ccMajor(), info.ccMinor(),
                info.multiprocessors(), info.totalMemory() / 1073741824.0);
    }

    void makeCurrent() {
        if (closed) {
            throw new IllegalStateException("CUDA device already closed");
        }
        driver.setCurrent(context);
    }

    /** {free, total} device memory in bytes. */
    public long[] memoryInfo() {
        makeCurrent();
        return driver.memoryInfo();
    }

    /** Allocates device memory for {@code elements} values of {@code elementBytes} bytes. */
    public DeviceBuffer allocate(long elements, int elementBytes) {
        makeCurrent();
        if (elements < 0 || elementBytes <= 0 || elements > Long.MAX_VALUE / elementBytes) {
            throw new IllegalArgumentException("bad allocation size " + elements + " x " + elementBytes);
        }
        CudaDriver.DeviceMemory m = driver.malloc(elements * elementBytes);
        liveBuffers.incrementAndGet();
        liveBytes.addAndGet(m.bytes());
        return new DeviceBuffer(this, m, elements, elementBytes);
    }

    void release(DeviceBuffer b, CudaDriver.DeviceMemory m) {
        liveBuffers.decrementAndGet();
        liveBytes.addAndGet(-m.bytes());
        if (!closed) {
            driver.setCurrent(context);
            driver.free(m);
        }
    }

    /** Page-locked host memory. */
    public PinnedBuffer allocatePinned(long bytes) {
        makeCurrent();
        CudaDriver.HostMemory m = driver.mallocHost(bytes);
        liveBuffers.incrementAndGet();
        return new PinnedBuffer(this, m);
    }

    void releaseHost(CudaDriver.HostMemory m) {
        liveBuffers.decrementAndGet();
        if (!closed) {
            driver.setCurrent(context);
            driver.freeHost(m);
        }
    }

    /** Device buffers and pinned buffers currently allocated through this device (the staging buffer included). */
    public long liveBuffers() {
        return liveBuffers.get();
    }

    public long liveBytes() {
        return liveBytes.get();
    }

    CudaDriver.Handle function(String name) {
        CudaDriver.Handle f = functions.get(name);
        if (f == null) {
            f = driver.function(module, name);
            functions.put(name, f);
        }
        return f;
    }

    /** Launches a kernel of the module on the device's stream; arguments as {@link CudaDriver#launch} describes. */
    void launch(String kernel, int gx, int gy, int gz, int bx, int by, int bz, Object... args) {
        if (gx <= 0 || gy <= 0 || gz <= 0) {
            return;
        }
        if (gy > 65535 || gz > 65535) {
            throw new IllegalArgumentException(kernel + ": grid (" + gx + ", " + gy + ", " + gz + ") exceeds the limits");
        }
        driver.launch(function(kernel), gx, gy, gz, bx, by, bz, 0, stream, args);
    }

    public void synchronize() {
        makeCurrent();
        driver.synchronize(stream);
    }

    private PinnedBuffer staging() {
        if (staging == null) {
            staging = allocatePinned(STAGING_BYTES);
        }
        return staging;
    }

    /** Copies {@code count} values from {@code src[srcOff..]} to the buffer at element {@code dstIndex}, converted. */
    public void upload(DeviceBuffer dst, long dstIndex, double[] src, int srcOff, int count) {
        makeCurrent();
        int es = dst.elementBytes();
        PinnedBuffer st = staging();
        int per = (int) (STAGING_BYTES / es);
        for (int done = 0; done < count; done += per) {
            int n = Math.min(per, count - done);
            ByteBuffer b = st.buffer();
            b.clear();
            if (es == 4) {
                for (int i = 0; i < n; i++) {
                    b.putFloat(i * 4, (float) src[srcOff + done + i]);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    b.putDouble(i * 8, src[srcOff + done + i]);
                }
            }
            driver.copyHostToDevice(dst.memory(), (dstIndex + done) * es, st.memory(), 0, (long) n * es, stream);
            driver.synchronize(stream);
        }
    }

    /** Copies {@code count} values from the buffer at element {@code srcIndex} into {@code dst[dstOff..]}, widened. */
    public void download(DeviceBuffer src, long srcIndex, double[] dst, int dstOff, int count) {
        makeCurrent();
        int es = src.elementBytes();
        PinnedBuffer st = staging();
        int per = (int) (STAGING_BYTES / es);
        for (int done = 0; done < count; done += per) {
            int n = Math.min(per, count - done);
            driver.copyDeviceToHost(st.memory(), 0, src.memory(), (srcIndex + done) * es, (long) n * es, stream);
            driver.synchronize(stream);
            ByteBuffer b = st.buffer();
            if (es == 4) {
                for (int i = 0; i < n; i++) {
                    dst[dstOff + done + i] = b.getFloat(i * 4);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    dst[dstOff + done + i] = b.getDouble(i * 8);
                }
            }
        }
    }

    /** A pair of events for timing work on this device's stream. */
    public final class Timer implements AutoCloseable {
        private final CudaDriver.Handle start = driver.createEvent();
        private final CudaDriver.Handle end = driver.createEvent();

        public void start() {
            makeCurrent();
            driver.record(start, stream);
        }

        /** Records the end event and returns the elapsed milliseconds (waits for the work to finish). */
        public double stopMillis() {
            makeCurrent();
            driver.record(end, stream);
            return driver.elapsedMillis(start, end);
        }

        @Override
        public void close() {
            driver.destroyEvent(start);
            driver.destroyEvent(end);
        }
    }

    public Timer timer() {
        makeCurrent();
        return new Timer();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        driver.setCurrent(context);
        try {
            driver.synchronize(stream);
        } finally {
            if (staging != null) {
                staging.close();
                staging = null;
            }
            closed = true;
            driver.destroyStream(stream);
            driver.unloadModule(module);
            driver.releasePrimaryContext(info.ordinal());
        }
    }
}

package org.ntk4j.cuda;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.ntk4j.BackendUnavailableException;

/**
 * One GPU as the backend uses it: its primary context, the kernel module, a stream, a pinned staging buffer for
 * transfers, a count of live allocations, and counters of the bytes moved between host and device and of host
 * synchronisations (what a prepared model saves is measured with them). Not thread-safe; {@link CudaBackend}
 * serializes calls. Every entry point makes the context current on the calling thread first.
 */
public final class CudaDevice implements AutoCloseable {
    private static final long STAGING_BYTES = 8L << 20;
    /** The staging buffer grows to hold a call's inputs at once (no wait between their copies) up to this size. */
    private static final long STAGING_MAX_BYTES = 64L << 20;

    private final CudaDriver driver;
    private final CudaDriver.DeviceInfo info;
    private final CudaDriver.Handle context;
    private final CudaDriver.Handle module;
    private final CudaDriver.Handle stream;
    private final Map<String, CudaDriver.Handle> functions = new HashMap<>();
    private final AtomicLong liveBuffers = new AtomicLong();
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicLong bytesToDevice = new AtomicLong();
    private final AtomicLong bytesToHost = new AtomicLong();
    private final AtomicLong synchronizations = new AtomicLong();
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
        return open(0);
    }

    /**
     * The device of this ordinal, once the availability probe (which checks device 0) has passed. Throws
     * {@link org.ntk4j.InvalidInputException} for an ordinal that does not exist and
     * {@link BackendUnavailableException} for a device the kernels cannot run on.
     */
    public static CudaDevice open(int ordinal) {
        CudaProbe.Result r = CudaProbe.get();
        if (!r.available()) {
            throw new BackendUnavailableException("CUDA backend unavailable: " + r.reason());
        }
        if (ordinal == r.device().ordinal()) {
            return new CudaDevice(r.driver(), r.device(), r.image());
        }
        int count = r.driver().deviceCount();
        if (ordinal < 0 || ordinal >= count) {
            throw new org.ntk4j.InvalidInputException("CUDA device " + ordinal + " does not exist (" + count
                    + " device" + (count == 1 ? "" : "s") + ", ordinals 0 to " + (count - 1) + ")");
        }
        CudaDriver.DeviceInfo info = r.driver().deviceInfo(ordinal);
        String old = CudaProbe.tooOld(info);
        if (old != null) {
            throw new BackendUnavailableException("CUDA device " + ordinal + ": " + old);
        }
        return new CudaDevice(r.driver(), info, r.image());
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

    /** Bytes copied host → device through this device so far. */
    public long bytesToDevice() {
        return bytesToDevice.get();
    }

    /** Bytes copied device → host through this device so far. */
    public long bytesToHost() {
        return bytesToHost.get();
    }

    /** Host waits for the device's stream so far (each download is one; uploads may be queued without one). */
    public long synchronizations() {
        return synchronizations.get();
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
        if (gy > KernelLaunches.MAX_GRID_YZ || gz > KernelLaunches.MAX_GRID_YZ) {
            throw new IllegalArgumentException(kernel + ": grid (" + gx + ", " + gy + ", " + gz + ") exceeds the limits");
        }
        driver.launch(function(kernel), gx, gy, gz, bx, by, bz, 0, stream, args);
    }

    public void synchronize() {
        makeCurrent();
        sync();
    }

    private void sync() {
        synchronizations.incrementAndGet();
        driver.synchronize(stream);
    }

    private PinnedBuffer staging() {
        if (staging == null) {
            staging = allocatePinned(STAGING_BYTES);
        }
        return staging;
    }

    /** A staging buffer of at least {@code bytes} (grow-only, up to {@link #STAGING_MAX_BYTES}), or null if larger. */
    private PinnedBuffer staging(long bytes) {
        if (bytes > STAGING_MAX_BYTES) {
            return null;
        }
        PinnedBuffer st = staging();
        if (st.bytes() < bytes) {
            sync(); // the old staging buffer may still feed queued copies
            st.close();
            staging = null;
            staging = allocatePinned(Math.max(bytes, STAGING_BYTES));
            st = staging;
        }
        return st;
    }

    /** One host → device copy of a batch: {@code count} values of {@code src[srcOff..]} to {@code dst} at element 0. */
    record Upload(DeviceBuffer dst, double[] src, int srcOff, int count) {
    }

    /**
     * Copies several host arrays to the device, converted, through one staging area and without waiting for the
     * copies: the next synchronising call (a download) orders them, so a call that uploads its inputs and downloads
     * one result waits once. Falls back to {@link #upload} (a wait per chunk) when they do not fit the staging limit.
     */
    void uploadQueued(Upload... items) {
        makeCurrent();
        long total = 0;
        for (Upload u : items) {
            total += (long) u.count() * u.dst().elementBytes();
        }
        PinnedBuffer st = staging(total);
        if (st == null) {
            for (Upload u : items) {
                upload(u.dst(), 0, u.src(), u.srcOff(), u.count());
            }
            return;
        }
        ByteBuffer b = st.buffer();
        long at = 0;
        for (Upload u : items) {
            int es = u.dst().elementBytes();
            int base = (int) at;
            if (es == 4) {
                for (int i = 0; i < u.count(); i++) {
                    b.putFloat(base + i * 4, (float) u.src()[u.srcOff() + i]);
                }
            } else {
                for (int i = 0; i < u.count(); i++) {
                    b.putDouble(base + i * 8, u.src()[u.srcOff() + i]);
                }
            }
            long bytes = (long) u.count() * es;
            driver.copyHostToDevice(u.dst().memory(), 0, st.memory(), at, bytes, stream);
            bytesToDevice.addAndGet(bytes);
            at += (bytes + 15) / 16 * 16;
        }
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
            bytesToDevice.addAndGet((long) n * es);
            sync();
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
            bytesToHost.addAndGet((long) n * es);
            sync();
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

    /**
     * Releases the stream, the module and the primary context. Every step is attempted even when earlier ones fail
     * (after a device fault every call returns the same sticky error): the context must still be released, or every
     * later backend in this JVM would find it broken. The first failure is thrown afterwards, the others attached as
     * suppressed.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        Release r = new Release();
        r.run(() -> driver.setCurrent(context));
        r.run(() -> driver.synchronize(stream));
        if (staging != null) {
            PinnedBuffer st = staging;
            staging = null;
            r.run(st::close);
        }
        closed = true;
        r.run(() -> driver.destroyStream(stream));
        r.run(() -> driver.unloadModule(module));
        r.run(() -> driver.releasePrimaryContext(info.ordinal()));
        r.rethrow();
    }
}

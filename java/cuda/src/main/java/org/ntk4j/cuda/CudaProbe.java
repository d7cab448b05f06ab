package org.ntk4j.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;

/**
 * Decides, once per JVM and without ever risking the process, whether the CUDA backend can run here:
 * <ol>
 * <li>the kernels were built into this jar (resource {@value #FATBIN}; absent when the build had no nvcc);</li>
 * <li>{@code libcuda.so.1} can be opened (checked with {@code java.lang.foreign} before JCuda's native library, which
 * links against it, is loaded);</li>
 * <li>JCuda's native library loads, {@code cuInit} succeeds and a device exists;</li>
 * <li>the device has compute capability 8.0 or newer and the kernel module loads on it.</li>
 * </ol>
 * The probe checks device 0; another device is chosen when the backend is opened (the {@code device} option of
 * {@link CudaProvider}), and checked then by {@link CudaDevice#open(int)}.
 */
final class CudaProbe {
    static final String FATBIN = "/org/ntk4j/cuda/ntk4j_kernels.fatbin";
    static final String DRIVER_LIBRARY = "libcuda.so.1";

    /** Either a reason why CUDA cannot run, or the driver, kernel image and device to use. */
    record Result(String reason, CudaDriver driver, byte[] image, CudaDriver.DeviceInfo device) {
        boolean available() {
            return reason == null;
        }
    }

    private static Result cached;

    private CudaProbe() {
    }

    static synchronized Result get() {
        if (cached == null) {
            cached = probe(FATBIN);
        }
        return cached;
    }

    /** The kernel image from the class path, or null when this build has none. */
    static byte[] readImage(String resource) {
        try (InputStream in = CudaProbe.class.getResourceAsStream(resource)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            return null;
        }
    }

    /** Null when libcuda.so.1 can be opened, else why not. Never loads JCuda. */
    @SuppressWarnings("restricted")
    static String driverLibraryReason() {
        try {
            SymbolLookup lookup = SymbolLookup.libraryLookup(DRIVER_LIBRARY, Arena.global());
            return lookup.find("cuInit").isPresent() ? null : "no CUDA driver (" + DRIVER_LIBRARY + " lacks cuInit)";
        } catch (IllegalArgumentException e) {
            return "no CUDA driver (" + DRIVER_LIBRARY + " not found)";
        } catch (IllegalCallerException | UnsupportedOperationException e) {
            return "native access is disabled (" + e.getMessage() + "); run with --enable-native-access=ALL-UNNAMED";
        }
    }

    /** Null when the kernels can run on this device, else why not. */
    static String tooOld(CudaDriver.DeviceInfo info) {
        return info.ccMajor() < 8 ? info.name() + " has compute capability " + info.ccMajor() + "." + info.ccMinor()
                + "; the kernels need 8.0 or newer" : null;
    }

    static Result probe(String resource) {
        byte[] image = readImage(resource);
        if (image == null || image.length == 0) {
            return new Result("built without CUDA kernels (resource " + resource
                    + " is absent: ntk4j-cuda was built without nvcc)", null, null, null);
        }
        String lib = driverLibraryReason();
        if (lib != null) {
            return new Result(lib, null, null, null);
        }
        CudaDriver driver;
        try {
            driver = new JCudaBinding();
        } catch (LinkageError | RuntimeException e) {
            return new Result("JCuda's native library did not load: " + e, null, null, null);
        }
        try {
            driver.init();
            int count = driver.deviceCount();
            if (count == 0) {
                return new Result("no CUDA device", null, null, null);
            }
            int ordinal = 0;
            CudaDriver.DeviceInfo info = driver.deviceInfo(ordinal);
            String old = tooOld(info);
            if (old != null) {
                return new Result(old, null, null, null);
            }
            CudaDriver.Handle ctx = driver.retainPrimaryContext(ordinal);
            try {
                driver.setCurrent(ctx);
                CudaDriver.Handle module = driver.loadModule(image);
                driver.unloadModule(module);
            } catch (CudaException e) {
                return new Result("the kernels do not load on " + info.name() + ": " + e.getMessage(), null, null, null);
            } finally {
                driver.releasePrimaryContext(ordinal);
            }
            return new Result(null, driver, image, info);
        } catch (CudaException e) {
            String name = e.errorName();
            if ("CUDA_ERROR_NO_DEVICE".equals(name)) {
                return new Result("no CUDA device (cuInit: CUDA_ERROR_NO_DEVICE)", null, null, null);
            }
            return new Result("CUDA driver error: " + e.getMessage(), null, null, null);
        } catch (LinkageError e) {
            return new Result("JCuda failed: " + e, null, null, null);
        }
    }
}

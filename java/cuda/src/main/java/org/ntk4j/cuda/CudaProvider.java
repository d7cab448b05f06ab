package org.ntk4j.cuda;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.ntk4j.BackendUnavailableException;
import org.ntk4j.spi.Backend;
import org.ntk4j.spi.BackendConfig;
import org.ntk4j.spi.BackendProvider;

/**
 * The CUDA backend, {@code "cuda"}, rank 100: available only when {@link CudaProbe} finds a driver, a device of
 * compute capability 8.0 or newer and kernels that load (it never crashes the JVM when they are missing).
 *
 * <p>Options: {@code device} = N, the device ordinal (default 0); {@code memoryFraction} (0, 1], the share of free device memory one call may use when no memory budget
 * is set (default 0.8); {@code gram} = native | cublas, which Gram product the Jacobian contraction uses (default
 * native: the project's kernel); {@code cublasPath} = FILE, the cuBLAS library to use (default: searched, see
 * {@link Cublas}); {@code poison} = true | false, fill outputs with NaN before kernels write them (a testing aid).
 */
public final class CudaProvider implements BackendProvider {
    /** For the service loader. */
    public CudaProvider() {
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public int rank() {
        return 100;
    }

    @Override
    public String unavailableReason() {
        return CudaProbe.get().reason();
    }

    @Override
    public Map<String, String> properties() {
        Map<String, String> p = new LinkedHashMap<>();
        CudaProbe.Result r = CudaProbe.get();
        if (r.device() != null) {
            CudaDriver.DeviceInfo d = r.device();
            p.put("gpu", String.format(Locale.ROOT, "%s (sm_%d%d, %d SMs, %.1f GiB)", d.name(), d.ccMajor(), d.ccMinor(),
                    d.multiprocessors(), d.totalMemory() / 1073741824.0));
        }
        if (r.driver() != null) {
            p.put("driver", r.driver().description());
        }
        byte[] image = r.image() != null ? r.image() : CudaProbe.readImage(CudaProbe.FATBIN);
        p.put("kernels", image == null ? "none in this build (built without nvcc)"
                : "ntk4j_kernels.fatbin, " + image.length + " bytes");
        return p;
    }

    @Override
    public Backend open(BackendConfig config) {
        String why = unavailableReason();
        if (why != null) {
            throw new BackendUnavailableException("CUDA backend unavailable: " + why);
        }
        CudaDevice dev = CudaDevice.open(config.intOption("device", 0, 0, Integer.MAX_VALUE));
        try {
            return new CudaBackend(dev, config);
        } catch (RuntimeException e) {
            dev.close(); // a refused option must not leak the context
            throw e;
        }
    }
}

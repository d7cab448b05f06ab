package org.ntk4j.cpu;

import java.util.LinkedHashMap;
import java.util.Map;
import org.ntk4j.spi.Backend;
import org.ntk4j.spi.BackendConfig;
import org.ntk4j.spi.BackendProvider;

/**
 * The CPU backend, {@code "cpu"}, rank 10: always available (without a native BLAS it uses the pure-Java one).
 * Options ({@link org.ntk4j.CpuOptions} in typed form): {@code blas} = auto | native | bundled | system | java (see
 * {@link org.ntk4j.Blas}; the native library is chosen once per process by {@link BlasSelection}), {@code vector} = true | false (use the
 * Vector API when its module is present), {@code maxParameterChunk} = Jacobian columns per chunk in Jacobian
 * contraction (default {@value CpuBackend#DEFAULT_MAX_PARAMETER_CHUNK}).
 */
public final class CpuProvider implements BackendProvider {
    /** Side of the products timed for {@link #properties()}. */
    private static final int GEMM_CHECK_SIZE = 1024;

    /** For the service loader. */
    public CpuProvider() {
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int rank() {
        return 10;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public Map<String, String> properties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        BlasSelection sel = BlasSelection.current();
        p.put("blas", sel.blasDescription());
        p.put("lapack", sel.lapackDescription());
        p.put("blas probe", String.join("; ", sel.probes()) + String.format(java.util.Locale.ROOT, "; %.0f ms",
                sel.probeNanos() / 1e6));
        if (!sel.notes().isEmpty()) {
            p.put("blas notes", String.join("; ", sel.notes()));
        }
        try (CpuBackend b = CpuBackend.builder().build()) {
            p.put("sgemm", String.format(java.util.Locale.ROOT, "%.1f GFLOP/s (%d³, %d threads, best of 3)",
                    b.gemmGflops(false, GEMM_CHECK_SIZE), GEMM_CHECK_SIZE, b.threads()));
            p.put("dgemm", String.format(java.util.Locale.ROOT, "%.1f GFLOP/s (%d³, %d threads, best of 3)",
                    b.gemmGflops(true, GEMM_CHECK_SIZE), GEMM_CHECK_SIZE, b.threads()));
        }
        p.put("vector api", ElementwiseOps.best(true).description());
        return p;
    }

    @Override
    public Backend open(BackendConfig config) {
        config.requireOnly("cpu", "blas", "vector", "maxParameterChunk");
        CpuBackend.Builder b = CpuBackend.builder()
                .precision(config.precision())
                .blas(config.options().containsKey("blas") ? org.ntk4j.Blas.parse(config.options().get("blas"))
                        : BlasSelection.current().requested())
                .vectorApi(config.booleanOption("vector", true))
                .maxParameterChunk(config.intOption("maxParameterChunk", CpuBackend.DEFAULT_MAX_PARAMETER_CHUNK, 1,
                        Integer.MAX_VALUE));
        if (config.threads() > 0) {
            b.threads(config.threads());
        }
        if (config.memoryBudget() > 0) {
            b.memoryBudget(config.memoryBudget());
        }
        return b.build();
    }
}

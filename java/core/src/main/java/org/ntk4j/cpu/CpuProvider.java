package org.ntk4j.cpu;

import java.util.LinkedHashMap;
import java.util.Map;
import org.ntk4j.spi.Backend;
import org.ntk4j.spi.BackendConfig;
import org.ntk4j.spi.BackendProvider;

/**
 * The CPU backend, {@code "cpu"}, rank 10: always available (without a native BLAS it uses the pure-Java one).
 * Options: {@code blas} = auto | native | java (see {@link BlasChoice}), {@code vector} = true | false (use the
 * Vector API when its module is present), {@code maxParameterChunk} = Jacobian columns per chunk in Jacobian
 * contraction (default {@value CpuBackend#DEFAULT_MAX_PARAMETER_CHUNK}).
 */
public final class CpuProvider implements BackendProvider {
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
        p.put("blas", Linalg.describeAvailable());
        p.put("vector api", Kernels.best(true).description());
        return p;
    }

    @Override
    public Backend open(BackendConfig config) {
        config.requireOnly("cpu", "blas", "vector", "maxParameterChunk");
        CpuBackend.Builder b = CpuBackend.builder()
                .precision(config.precision())
                .blas(BlasChoice.valueOf(config.choiceOption("blas", "auto", "auto", "native", "java")
                        .toUpperCase(java.util.Locale.ROOT)))
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

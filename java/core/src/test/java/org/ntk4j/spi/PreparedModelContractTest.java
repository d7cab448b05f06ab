package org.ntk4j.spi;

import org.junit.jupiter.api.Test;
import org.ntk4j.Precision;
import org.ntk4j.testing.PreparedModelContract;
import org.ntk4j.testing.Providers;
import org.ntk4j.testing.Tolerances;

/** The prepared-model contract on the backends of ntk4j-core (the CUDA module runs it on its own backend). */
class PreparedModelContractTest {

    @Test
    void referenceBackend() {
        try (Backend backend = Providers.open("reference", Precision.FP64)) {
            PreparedModelContract.check(backend, Tolerances.FP64, false);
        }
    }

    @Test
    void cpuBackendFp64() {
        try (Backend backend = Providers.open("cpu", Precision.FP64)) {
            PreparedModelContract.check(backend, Tolerances.FP64, false);
        }
    }

    @Test
    void cpuBackendFp32() {
        try (Backend backend = Providers.open("cpu", Precision.FP32)) {
            PreparedModelContract.check(backend, Tolerances.FP32, false);
        }
    }
}

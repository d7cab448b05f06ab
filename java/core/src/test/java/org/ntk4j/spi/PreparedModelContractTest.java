package org.ntk4j.spi;

import org.junit.jupiter.api.Test;
import org.ntk4j.Ntk;
import org.ntk4j.Precision;
import org.ntk4j.testing.PreparedModelContract;
import org.ntk4j.testing.Tolerances;

/** The prepared-model contract on the backends of ntk4j-core (the CUDA module runs it on its own backend). */
class PreparedModelContractTest {

    @Test
    void referenceBackend() {
        try (Ntk ntk = Ntk.builder().backend("reference").precision(Precision.FP64).open()) {
            PreparedModelContract.check(ntk.backend(), Tolerances.FP64, false);
        }
    }

    @Test
    void cpuBackendFp64() {
        try (Ntk ntk = Ntk.builder().backend("cpu").precision(Precision.FP64).open()) {
            PreparedModelContract.check(ntk.backend(), Tolerances.FP64, false);
        }
    }

    @Test
    void cpuBackendFp32() {
        try (Ntk ntk = Ntk.builder().backend("cpu").precision(Precision.FP32).open()) {
            PreparedModelContract.check(ntk.backend(), Tolerances.FP32, false);
        }
    }
}

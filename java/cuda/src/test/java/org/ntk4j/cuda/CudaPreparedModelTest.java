package org.ntk4j.cuda;

import org.junit.jupiter.api.Test;
import org.ntk4j.Precision;
import org.ntk4j.testing.PreparedModelContract;
import org.ntk4j.testing.Tolerances;

/**
 * The prepared-model contract (the same check the reference and CPU backends pass) on the CUDA backend: models that
 * stay on the device, in fp32 (parameters stored in fp32) and fp64. Needs a GPU (or the project's emulator, which
 * checks the values and the driver contract but says nothing about speed).
 */
class CudaPreparedModelTest {

    @Test
    void fp32ModelsOnTheDeviceKeepThePreparedModelContract() {
        Gpu.require();
        try (CudaBackend b = new CudaBackend(Precision.FP32)) {
            b.setPoisonOutputs(true);
            PreparedModelContract.check(b, Tolerances.FP32, true);
            org.junit.jupiter.api.Assertions.assertEquals(0, b.device().liveBuffers() - stagingBuffers(b),
                    "closed prepared models free their device memory");
        }
    }

    @Test
    void fp64ModelsOnTheDeviceKeepThePreparedModelContract() {
        Gpu.require();
        try (CudaBackend b = new CudaBackend(Precision.FP64)) {
            b.setPoisonOutputs(true);
            PreparedModelContract.check(b, Tolerances.FP64, false);
        }
    }

    private static long stagingBuffers(CudaBackend b) {
        return b.device().liveBuffers() > 0 ? 1 : 0; // the pinned staging buffer stays with the device
    }
}

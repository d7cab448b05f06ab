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
        CountingDriver counted = CountingDriver.open(Precision.FP32);
        try (CudaBackend b = counted.backend) {
            b.setPoisonOutputs(true);
            PreparedModelContract.check(b, Tolerances.FP32, true);
            // Every device allocation is freed; the one pinned buffer left is the device's staging buffer.
            org.junit.jupiter.api.Assertions.assertEquals(0, counted.liveDeviceAllocations(),
                    "closed prepared models free their device memory");
            org.junit.jupiter.api.Assertions.assertEquals(1, counted.livePinnedAllocations(),
                    "pinned buffers besides the staging buffer");
            org.junit.jupiter.api.Assertions.assertEquals(1, b.device().liveBuffers(), "the staging buffer only");
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

    /**
     * Under a memory budget that leaves room for a few examples at a time, the gradient is summed over tiles of
     * examples on the device (weight and bias gradients accumulating) and the loss over their partial sums: the same
     * values as the reference, and the same step.
     */
    @Test
    void gradientsAccumulateOverTilesOfExamples() {
        Gpu.require();
        org.ntk4j.model.Architecture arch = org.ntk4j.model.Architecture.widths(6, 40, 33, 4)
                .activation(org.ntk4j.model.Activation.GELU).parameterization(org.ntk4j.model.Parameterization.NTK)
                .sigmaW(1.2).sigmaB(0.3).build();
        org.ntk4j.model.Parameters p = org.ntk4j.model.Parameters.init(arch, 9);
        org.ntk4j.Matrix x = org.ntk4j.testing.NtkCase.gaussianInputs(37, 6, 1);
        org.ntk4j.Matrix y = org.ntk4j.testing.NtkCase.gaussianInputs(37, 4, 2);
        org.ntk4j.LossGradient want = org.ntk4j.testing.Reference.backend().mseLossGradient(p, x, y);
        CountingDriver counted = CountingDriver.open(Precision.FP64);
        try (CudaBackend b = counted.backend) {
            b.setPoisonOutputs(true);
            long untiled;
            try (org.ntk4j.PreparedModel m = b.prepare(p)) {
                long before = counted.calls("launch");
                m.mseLossGradient(x, y);
                untiled = counted.calls("launch") - before;
            }
            // Resident: W, Wᵀ, b; the starting W, b; the gradient W, b. Then room for about 5 examples of
            // activations, deltas, x and y (233 + 4 + 6 values each) besides the 2 KiB the loss reduction keeps.
            long resident = 8 * (CudaMemoryPlanner.netElements(arch, true) + 2 * CudaMemoryPlanner.netElements(arch, false));
            try (org.ntk4j.PreparedModel m = b.prepare(p)) {
                b.setMemoryBudget(resident + 2048 + 5L * 8 * (233 + 4 + 6));
                long before = counted.calls("launch");
                org.ntk4j.LossGradient got = m.mseLossGradient(x, y);
                long tiled = counted.calls("launch") - before;
                // 37 examples, about 5 at a time: at least 7 tiles, each launching what the whole batch launched once
                org.junit.jupiter.api.Assertions.assertTrue(tiled >= 7 * untiled, "the gradient was not computed"
                        + " over tiles of examples: " + tiled + " launches, " + untiled + " untiled");
                org.ntk4j.testing.Compare.assertClose("fp64 gradient summed over tiles of examples", got.gradient(),
                        want.gradient(), Tolerances.FP64);
                org.ntk4j.testing.Compare.assertClose("fp64 loss over tiles", new double[] {got.loss()},
                        new double[] {want.loss()}, Tolerances.FP64);
                org.junit.jupiter.api.Assertions.assertEquals(got.loss(), m.step(x, y, 0.3), 1e-15);
            }
        }
    }

    /**
     * A model prepared from its seed is generated in row blocks of about 2^20 values and uploaded block by block (how
     * width-65,536 layers, 2^32 weights, reach the device without ever being whole on the host): here a 1024 × 1025
     * layer takes two blocks, and every value equals Parameters.init's; the outputs agree bit for bit.
     */
    @Test
    void aModelStreamedFromItsSeedEqualsTheInitialParameters() {
        Gpu.require();
        org.ntk4j.model.Architecture arch = org.ntk4j.model.Architecture.widths(1025, 1024, 2)
                .activation(org.ntk4j.model.Activation.RELU).parameterization(org.ntk4j.model.Parameterization.NTK)
                .sigmaW(1.0).sigmaB(0.5).build();
        try (CudaBackend b = new CudaBackend(Precision.FP64);
             org.ntk4j.PreparedModel streamed = b.prepare(arch, 77);
             org.ntk4j.PreparedModel uploaded = b.prepare(org.ntk4j.model.Parameters.init(arch, 77))) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(org.ntk4j.model.Parameters.init(arch, 77).toFlat(),
                    streamed.parameters().toFlat(), "streamed initial parameters");
            org.ntk4j.Matrix x = org.ntk4j.testing.NtkCase.gaussianInputs(2, 1025, 1);
            org.junit.jupiter.api.Assertions.assertArrayEquals(uploaded.forward(x).data(), streamed.forward(x).data(),
                    "the same outputs");
        }
    }
}

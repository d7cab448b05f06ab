package org.ntk4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.ntk4j.Implementation;
import org.ntk4j.Matrix;
import org.ntk4j.NtkException;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Reference;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.Tolerances;

/** Failures on a real device: they become exceptions, free what they allocated, and leave the backend usable. */
class CudaFaultTest {
    private final Architecture arch =
            Architecture.widths(7, 65, 33, 3)
                    .activation(Activation.GELU).parameterization(Parameterization.NTK).sigmaW(1.2).sigmaB(0.3).build();
    private final Parameters params = Parameters.init(arch, 5);
    private final Matrix x = NtkCase.gaussianInputs(13, 7, 9);

    private void assertWorks(CudaBackend b) {
        Tensor ref = Reference.backend().kernel(params, x, NtkMode.FULL, Implementation.AUTO);
        Tensor got = b.kernel(params, x, NtkMode.FULL, Implementation.STRUCTURED);
        Compare.assertClose("cuda fp32 after a failure", got, ref, Tolerances.FP32);
    }

    @Test
    void impossibleAllocationThrowsThenANormalCallSucceeds() {
        Gpu.require();
        try (CudaBackend b = new CudaBackend(Precision.FP32)) {
            b.setPoisonOutputs(true);
            assertWorks(b);
            long live = b.device().liveBuffers();
            CudaOutOfMemoryException e = assertThrows(CudaOutOfMemoryException.class,
                    () -> b.device().allocate(1L << 50, 4));
            assertTrue(e.getMessage().contains("CUDA_ERROR_OUT_OF_MEMORY"), e.getMessage());
            assertEquals(live, b.device().liveBuffers(), "a failed allocation must not count as live");
            assertWorks(b);
            assertEquals(live, b.device().liveBuffers(), "a call must free everything it allocated");
        }
    }

    @Test
    void aBudgetTooSmallForTheModelIsAnExceptionNotACrash() {
        Gpu.require();
        try (CudaBackend b = new CudaBackend(Precision.FP32)) {
            long live = b.device().liveBuffers();
            b.setMemoryBudget(1000);
            NtkException e = assertThrows(NtkException.class,
                    () -> b.kernel(params, x, NtkMode.TRACE, Implementation.STRUCTURED));
            assertTrue(e.getMessage().contains("budget"), e.getMessage());
            assertEquals(live, b.device().liveBuffers());
            b.setMemoryBudget(-1);
            assertWorks(b);
        }
    }

    @Test
    void aClosedBackendRefusesWork() {
        Gpu.require();
        CudaBackend b = new CudaBackend(Precision.FP64);
        b.close();
        b.close();
        assertThrows(org.ntk4j.BackendClosedException.class, () -> b.forward(params, x));
    }
}

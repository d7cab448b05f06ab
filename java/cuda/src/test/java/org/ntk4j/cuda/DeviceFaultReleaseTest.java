package org.ntk4j.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.ntk4j.Implementation;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.PreparedModel;
import org.ntk4j.Tensor;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.NtkCase;

/**
 * A device fault (a sticky CUDA_ERROR_ILLEGAL_ADDRESS: every later call on the context returns it) on a recording
 * driver, no GPU needed: the caller sees the fault, not a release failure; every release step is still attempted, so
 * the stream, module and primary context are released and a backend opened afterwards in the same JVM works.
 */
class DeviceFaultReleaseTest {
    private final Architecture arch =
            Architecture.widths(5, 9, 3)
                    .activation(Activation.ERF).parameterization(Parameterization.NTK).sigmaW(1.1).sigmaB(0.2).build();
    private final Parameters params = Parameters.init(arch, 3);
    private final Matrix x = NtkCase.gaussianInputs(6, 5, 4);

    private static void assertIllegalAddress(Throwable e) {
        assertTrue(e instanceof CudaException ce && "CUDA_ERROR_ILLEGAL_ADDRESS".equals(ce.errorName()),
                "expected the device fault, got " + e);
    }

    private static void assertEverythingReleased(RecordingDriver d) {
        assertEquals(0, d.contextRefs, "the primary context must be released");
        assertEquals(0, d.streams, "the stream must be destroyed");
        assertEquals(0, d.modules, "the module must be unloaded");
    }

    @Test
    void aFaultDuringTheJacobianContractionReleasesEverythingAndTheNextBackendWorks() {
        for (Implementation impl : new Implementation[] {Implementation.JACOBIAN_CONTRACTION,
                Implementation.STRUCTURED}) {
            RecordingDriver d = new RecordingDriver(1L << 30);
            CudaBackend b = KernelLaunchContractTest.open(d, Precision.FP32);
            d.faultAfterLaunches = 5;
            RuntimeException e = assertThrows(RuntimeException.class, () -> b.kernel(params, x, NtkMode.FULL, impl));
            assertIllegalAddress(e);
            assertTrue(e.getSuppressed().length > 0, impl + ": the failing frees are attached to the fault");
            for (Throwable s : e.getSuppressed()) {
                assertIllegalAddress(s);
            }
            // close() attempts every step; the sticky error comes out of it too, but only after all were attempted.
            RuntimeException c = assertThrows(RuntimeException.class, b::close);
            assertIllegalAddress(c);
            assertEverythingReleased(d);
            assertTrue(d.live.isEmpty(), "the context's memory went with it");

            d.faultAfterLaunches = -1; // the device itself is fine again (the faulting launch is gone)
            try (CudaBackend next = KernelLaunchContractTest.open(d, Precision.FP32)) {
                Tensor t = next.kernel(params, x, NtkMode.TRACE, impl);
                assertArrayEquals(new int[] {6, 6}, t.shape());
            }
            assertEverythingReleased(d);
        }
    }

    @Test
    void aFaultInAPreparedModelReleasesItsBuffersBestEffort() {
        RecordingDriver d = new RecordingDriver(1L << 30);
        CudaBackend b = KernelLaunchContractTest.open(d, Precision.FP64);
        PreparedModel m = b.prepare(params);
        Matrix y = NtkCase.gaussianInputs(6, 3, 5);
        d.faultAfterLaunches = d.launches.size() + 3;
        assertIllegalAddress(assertThrows(RuntimeException.class, () -> m.step(x, y, 0.1)));
        assertIllegalAddress(assertThrows(RuntimeException.class, m::close));
        assertIllegalAddress(assertThrows(RuntimeException.class, b::close));
        assertEverythingReleased(d);
    }
}

package org.ntk4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.ntk4j.BackendUnavailableException;
import org.ntk4j.Ntk;
import org.ntk4j.spi.BackendConfig;
import org.ntk4j.Precision;

/** The availability probe and provider: they run everywhere, and on a machine without a GPU they must say why. */
class CudaProbeTest {

    @Test
    void probeAnswersWithoutCrashingAndAgreesWithTheProvider() {
        CudaProbe.Result r = CudaProbe.get();
        assertNotNull(r);
        CudaProvider provider = new CudaProvider();
        assertEquals(r.reason(), provider.unavailableReason());
        assertEquals("cuda", provider.name());
        assertEquals(100, provider.rank());
        if (r.reason() != null) {
            System.out.println("[ntk4j] CUDA backend unavailable here: " + r.reason());
            assertFalse(r.reason().isBlank());
        } else {
            System.out.println("[ntk4j] CUDA device: " + r.device());
        }
    }

    @Test
    void aBuildWithoutKernelsSaysSo() {
        CudaProbe.Result r = CudaProbe.probe("/org/ntk4j/cuda/no-such-kernels.fatbin");
        assertTrue(r.reason().contains("built without CUDA kernels"), r.reason());
    }

    @Test
    void aMissingDriverLibraryIsAReasonNotACrash() {
        String why = CudaProbe.driverLibraryReason();
        // Either libcuda.so.1 exists here (null) or the reason names it.
        assertTrue(why == null || why.contains("libcuda.so.1") || why.contains("native access"), why);
    }

    @Test
    void explicitCudaWithoutAGpuThrowsTheReason() {
        String why = CudaProbe.get().reason();
        if (why == null) {
            try (Ntk b = Ntk.builder().backend("cuda").open()) {
                assertEquals("cuda", b.backendName(), b.description());
            }
            return;
        }
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> Ntk.builder().backend("cuda").open());
        assertTrue(e.getMessage().contains(why), e.getMessage());
        e = assertThrows(BackendUnavailableException.class, () -> new CudaProvider().open(BackendConfig.of(Precision.FP64)));
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }

    @Test
    void theDeviceOptionPicksAnOrdinalAndRefusesOneThatDoesNotExist() {
        if (CudaProbe.get().reason() != null) {
            // Without a usable device the probe's reason comes first, whatever the ordinal.
            assertThrows(BackendUnavailableException.class,
                    () -> Ntk.builder().backend("cuda").option("device", "1").open());
            return;
        }
        try (Ntk b = Ntk.builder().backend("cuda").option("device", "0").open()) {
            assertEquals("cuda", b.backendName());
        }
        int count = CudaProbe.get().driver().deviceCount();
        org.ntk4j.InvalidInputException e = assertThrows(org.ntk4j.InvalidInputException.class,
                () -> Ntk.builder().backend("cuda").option("device", Integer.toString(count)).open());
        assertTrue(e.getMessage().contains("CUDA device " + count + " does not exist"), e.getMessage());
        assertThrows(org.ntk4j.InvalidInputException.class,
                () -> Ntk.builder().backend("cuda").option("device", "-1").open());
    }

    @Test
    void autoPicksCudaWhereItRunsAndTheCpuElsewhere() {
        // Where CUDA can run, AUTO must pick it; elsewhere it must fall back to the CPU.
        String expected = CudaProbe.get().reason() == null ? "cuda" : "cpu";
        try (Ntk b = Ntk.builder().precision(Precision.FP64).open()) {
            assertEquals(expected, b.backendName(), b.description());
        }
    }

    @Test
    void cublasSearchStartsWithTheOptionAndEndsWithThePlainLibraryNames() {
        List<String> c = Cublas.candidates(null);
        assertEquals(List.of(Cublas.NAMES), c.subList(c.size() - Cublas.NAMES.length, c.size()));
        assertEquals("/opt/x/libcublas.so.13", Cublas.candidates("/opt/x/libcublas.so.13").get(0));
    }

    @Test
    void cublasPathIsABackendOptionNotASystemProperty() {
        RecordingDriver d = new RecordingDriver(1L << 30);
        CudaDevice dev = CudaDevice.openWith(d, d.deviceInfo(0), new byte[] {1});
        BackendConfig config = new BackendConfig(Precision.FP32, 0, 0,
                java.util.Map.of("cublasPath", "/opt/x/libcublas.so.13", "gram", "cublas"));
        try (CudaBackend b = new CudaBackend(dev, config)) {
            assertEquals("/opt/x/libcublas.so.13", b.cublasPath());
        }
        CudaDevice dev2 = CudaDevice.openWith(d, d.deviceInfo(0), new byte[] {1});
        org.ntk4j.InvalidInputException e = assertThrows(org.ntk4j.InvalidInputException.class,
                () -> new CudaBackend(dev2, new BackendConfig(Precision.FP32, 0, 0, java.util.Map.of("cublasPath", " "))));
        assertTrue(e.getMessage().contains("cublasPath"), e.getMessage());
        dev2.close();
    }
}

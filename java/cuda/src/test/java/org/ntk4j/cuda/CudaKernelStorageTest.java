package org.ntk4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.ntk4j.Implementation;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.NtkCase;

/** How the CUDA backend holds a kernel on the host: FP32 results in float32 storage from the first tile on. */
class CudaKernelStorageTest {

    @AfterAll
    static void closeAll() {
        CudaBackendTest.closeAll();
    }

    /**
     * An FP32 kernel is assembled in float32 storage from its tiles: no double[] of the whole kernel is ever made
     * (which alone takes 8 bytes a value, and its float32 copy 4 more). 10 tiles of 150 × 150 examples; what the call
     * allocates is the float32 kernel (4 bytes a value), each tile's values as they come down (8 bytes a value of the
     * tiles on and above the diagonal, 0.625 of the kernel) and the launches' small change.
     */
    @Test
    void anFp32KernelIsAssembledInFloat32Storage() {
        Architecture arch = Architecture.builder(3).hidden(4).output(1).build();
        Parameters p = Parameters.init(arch, 5);
        int n = 600;
        Matrix x = NtkCase.gaussianInputs(n, 3, 9);
        CudaBackend b = CudaBackendTest.backend(Precision.FP32);
        b.setMemoryBudget(1_000_000); // tiles of 150 examples: the kernel is assembled from 10 of them
        try {
            Tensor warm = b.kernel(p, x, NtkMode.TRACE, Implementation.STRUCTURED); // classes loaded, paths warm
            ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
            long before = threads.getCurrentThreadAllocatedBytes();
            Tensor k = b.kernel(p, x, NtkMode.TRACE, Implementation.STRUCTURED);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            long values = (long) n * n;
            assertTrue(k.float32(), "an fp32 kernel in float32 storage");
            assertTrue(allocated < 12 * values, allocated + " bytes allocated for " + values + " values ("
                    + (double) allocated / values + " a value)");
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    assertEquals(k.get(i, j), k.get(j, i), "symmetry at " + i + ", " + j);
                    assertEquals(warm.get(i, j), k.get(i, j), "the same kernel twice");
                }
            }
        } finally {
            b.setMemoryBudget(-1);
        }
    }
}

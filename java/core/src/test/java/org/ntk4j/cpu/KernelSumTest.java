package org.ntk4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.Tolerances;
import org.ntk4j.tiling.TilePlan;

/**
 * TRACE and DIAGONAL kernels are summed one tile at a time in fp64 and rounded into the result as each tile
 * completes: the accumulator holds one tile, never the whole kernel, and the tiles (their transposes too) land where
 * the kernel has them, in the precision's storage.
 */
class KernelSumTest {
    @Test
    void theAccumulatorOfATraceOrDiagonalKernelHoldsOneTile() {
        TilePlan plan = TilePlan.of(100, 100, 30, true);
        for (NtkMode mode : new NtkMode[] {NtkMode.TRACE, NtkMode.DIAGONAL}) {
            KernelSum sum = KernelSum.byTile(mode, 3, plan, Precision.FP32);
            assertEquals(30 * 30 * mode.valuesPerPair(3), sum.acc.length, mode.toString());
        }
        assertThrows(IllegalArgumentException.class, () -> KernelSum.byTile(NtkMode.FULL, 3, plan, Precision.FP32));
    }

    @Test
    void anFp32KernelInManyTilesIsFloat32ExactlySymmetricAndEqualsOneTile() {
        Architecture arch = Architecture.builder(4).hidden(9).output(2).build();
        Parameters p = Parameters.init(arch, 3);
        Matrix x = NtkCase.gaussianInputs(40, 4, 7);
        for (NtkMode mode : new NtkMode[] {NtkMode.TRACE, NtkMode.DIAGONAL}) {
            Tensor whole;
            try (CpuBackend one = CpuBackend.builder().precision(Precision.FP32).build()) {
                whole = one.kernel(p, x, x, mode, org.ntk4j.Implementation.STRUCTURED);
                assertEquals(40, one.lastProfile().exampleChunk(), "one tile");
            }
            try (CpuBackend small = CpuBackend.builder().precision(Precision.FP32).memoryBudget(8_000).build()) {
                Tensor tiled = small.kernel(p, x, x, mode, org.ntk4j.Implementation.STRUCTURED);
                assertTrue(small.lastProfile().blocks() > 3, "several tiles: " + small.lastProfile());
                assertTrue(tiled.float32(), "float32 storage");
                // the same sums over another grouping of the examples (other GEMM shapes): equal to fp32's tolerance
                Compare.assertClose(mode + " in tiles", tiled, whole, Tolerances.FP32);
                int v = mode.valuesPerPair(2);
                for (int i = 0; i < 40; i++) {
                    for (int j = 0; j < 40; j++) {
                        for (int a = 0; a < v; a++) {
                            float ij = tiled.floatData()[(i * 40 + j) * v + a];
                            assertEquals(ij, tiled.floatData()[(j * 40 + i) * v + a], mode + " symmetric at " + i + ", " + j);
                        }
                    }
                }
            }
        }
    }
}
